using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Receptionist.Features.Blocking;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Queue;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Telephony;

/// <summary>
/// Translates Twilio's voice webhooks into <see cref="CallFlow"/> steps and its decisions into TwiML. The caller's
/// wait is driven by Twilio (the Enqueue wait URL is re-requested after each ringback), so any instance can serve
/// any step and no instance's timer decides an overflow.
/// </summary>
public static class TwilioCallWebhooks
{
    public const string QueueName = "receptionist";
    const int VoicemailMaxSeconds = 120;
    const int RingBackupSeconds = 25;

    public static RouteGroupBuilder MapTwilioCallWebhooks(this RouteGroupBuilder twilio)
    {
        twilio.MapPost("/voice", IncomingCall).WithName(nameof(IncomingCall)).WithSummary("Twilio: a call to one of our lines");
        twilio.MapPost("/status", CallStatusChanged).WithName(nameof(CallStatusChanged)).WithSummary("Twilio: call status callback");
        twilio.MapPost("/wait", QueueWait).WithName(nameof(QueueWait)).WithSummary("Twilio: what a queued caller hears next");
        twilio.MapPost("/queue-result", LeftQueue).WithName(nameof(LeftQueue)).WithSummary("Twilio: the caller left the queue");
        twilio.MapPost("/bridge", BridgeToOperator).WithName(nameof(BridgeToOperator)).WithSummary("Twilio: connect a claimed caller");
        twilio.MapPost("/operator-leg", OperatorLegAnswered).WithName(nameof(OperatorLegAnswered)).WithSummary("Twilio: operator leg events");
        twilio.MapPost("/dial-result", OperatorDialEnded).WithName(nameof(OperatorDialEnded)).WithSummary("Twilio: the operator dial ended");
        twilio.MapPost("/backup-result", BackupDialEnded).WithName(nameof(BackupDialEnded)).WithSummary("Twilio: the backup-number dial ended");
        twilio.MapPost("/fallback", SendToFallback).WithName(nameof(SendToFallback)).WithSummary("Twilio: a caller moved to the fallback by reconciliation");
        twilio.MapPost("/voicemail", VoicemailRecorded).WithName(nameof(VoicemailRecorded)).WithSummary("Twilio: a voicemail was recorded");
        return twilio;
    }

    public static string BridgePath(Guid callId) => $"/telephony/twilio/bridge?call={callId}";
    public static string FallbackPath(Guid callId) => $"/telephony/twilio/fallback?call={callId}";

    static async Task<TwiMLResponse> IncomingCall(TwilioVoiceRequest request, CallFlow calls, CallScreen screen,
        ITelephonyProvider telephony, IOptions<AppOptions> app, IOptions<BlockingOptions> blocking, IOptions<RoutingOptions> routing,
        ILogger<CallFlow> logger, CancellationToken ct)
    {
        var incoming = new IncomingCall(request.CallSid, request.From, request.To, request.ForwardedFrom);
        var decision = await calls.IncomingAsync(incoming, ct);
        switch (decision)
        {
            case IncomingDecision.Offered offered:
                return DialOperator(offered.CallId, offered.OperatorId, app.Value, routing.Value);
            case IncomingDecision.Queue queue:
                return await OfferOrEnqueueAsync(queue.CallId, calls, app.Value, routing.Value, ct, tryOffer: !queue.NobodyFree);
            case IncomingDecision.Blocked blocked:
                return BlockedCallerAnswer.For(await screen.RecordedAsync(blocked, ct), blocking.Value.Treatment);
            case IncomingDecision.Fallback fallback:
                return Fallback(fallback.CallId, fallback.Plan, app.Value);
            case IncomingDecision.ForwardingConfirmed confirmed:
                if (confirmed.TestCallProviderId is { } testCall)
                    await HangUpQuietlyAsync(telephony, testCall, logger, ct);
                return TwiML.Response(TwiML.Hangup());
            case IncomingDecision.Over:
                return TwiML.Response(TwiML.Hangup());
            default:
                return TwiML.Response(TwiML.Reject());
        }
    }

    static async Task<NoContent> CallStatusChanged(TwilioVoiceRequest request, CallFlow calls, Transfers.TransferFlow transfers,
        CancellationToken ct)
    {
        if (request.CallStatus is "completed" or "failed" or "busy" or "no-answer" or "canceled")
        {
            await calls.CallEndedAsync(request.CallSid, request.Timestamp,
                providerFailed: request.CallStatus is "failed" or "busy" or "no-answer", ct);
            // The owner's leg of a transfer, or a caller holding for the owner, reports here too.
            await transfers.LegEndedAsync(request.CallSid, ct);
        }
        return TypedResults.NoContent();
    }

    static async Task<TwiMLResponse> QueueWait(Guid call, CallFlow calls, IOptions<AppOptions> app, CancellationToken ct) =>
        await calls.WaitPollAsync(call, ct)
            ? TwiML.Response(TwiML.Leave())
            : TwiML.Response(TwiML.Play(app.Value.Url("/audio/ringback.wav")));

    /// <summary>A caller who hung up in the queue is gone; after Leave (overflow) or a queue error the caller goes to
    /// the fallback; other results (bridged, redirected) need nothing.</summary>
    static async Task<TwiMLResponse> LeftQueue(Guid call, TwilioVoiceRequest request, CallFlow calls,
        IOptions<AppOptions> app, CancellationToken ct) =>
        await calls.LeftQueueAsync(call, request.QueueResult, ct) is { } plan
            ? Fallback(call, plan, app.Value)
            : TwiML.Response();

    /// <summary>Reconciliation moved a caller whose wait polls stopped to the fallback.</summary>
    static async Task<TwiMLResponse> SendToFallback(Guid call, CallFlow calls, IOptions<AppOptions> app, CancellationToken ct) =>
        await calls.FallbackPlanAsync(call, ct) is { } plan ? Fallback(call, plan, app.Value) : TwiML.Response(TwiML.Hangup());

    static async Task<TwiMLResponse> BridgeToOperator(Guid call, CallFlow calls, IOptions<AppOptions> app,
        IOptions<RoutingOptions> routing, CancellationToken ct)
    {
        var (operatorId, waiting) = await calls.BridgeAsync(call, ct);
        if (operatorId is null)
            // Claimed no longer: waiting again (offered to the next operator, or queued), or over (a late repeat).
            return waiting ? await OfferOrEnqueueAsync(call, calls, app.Value, routing.Value, ct) : TwiML.Response(TwiML.Hangup());
        return DialOperator(call, operatorId.Value, app.Value, routing.Value);
    }

    /// <summary>
    /// A caller who is to wait goes straight to the best free operator when there is one (no queue hop, no added wait);
    /// otherwise into the queue, whence routing offers the call as soon as someone is free. Without
    /// <paramref name="tryOffer"/> the caller's own incoming request just found nobody free: it enqueues at once, with
    /// no further statement on the webhook's path (an operator freed in that instant gets the call through the router's
    /// redirect, which rings once all the same).
    /// </summary>
    static async Task<TwiMLResponse> OfferOrEnqueueAsync(Guid call, CallFlow calls, AppOptions app, RoutingOptions routing,
        CancellationToken ct, bool tryOffer = true)
    {
        if (!routing.Push || !tryOffer)
            return Enqueue(call, app);
        if (await calls.OfferAsync(call, dialsNow: true, ct) is { } offer)
            return DialOperator(call, offer.OperatorId, app, routing);
        // A router pass (woken by an operator just freed) may have offered this very call a moment earlier: then this
        // answer dials that operator rather than queueing the caller for the router's redirect, unless the redirect
        // has rung them already.
        return await calls.TakeRingAsync(call, ct) is { } operatorId
            ? DialOperator(call, operatorId, app, routing)
            : Enqueue(call, app);
    }

    /// <summary>Rings the operator's console for as long as an offer lasts. The reports name the operator, so a late one
    /// about an earlier offer of the same call never moves a later one.</summary>
    static TwiMLResponse DialOperator(Guid call, Guid operatorId, AppOptions app, RoutingOptions routing) =>
        TwiML.Response(TwiML.Dial(
            TwiML.Client(TwilioProvider.OperatorIdentity(operatorId),
                statusCallback: app.Url($"/telephony/twilio/operator-leg?call={call}&operator={operatorId}")),
            timeout: Math.Min(routing.OfferSeconds, CallFlow.OperatorRingSeconds), answerOnBridge: true,
            action: app.Url($"/telephony/twilio/dial-result?call={call}&operator={operatorId}")));

    static async Task<NoContent> OperatorLegAnswered(Guid call, TwilioVoiceRequest request, CallFlow calls, CancellationToken ct)
    {
        if (request.CallStatus is "in-progress" or "answered")
            await calls.OperatorAnsweredAsync(call, request.Timestamp, ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The operator's dial ended: connected, it proves the conversation (even when the leg's own report was lost) and
    /// the call is over; unanswered, the caller queues again, unless they hung up meanwhile.
    /// </summary>
    static async Task<TwiMLResponse> OperatorDialEnded(Guid call, [FromQuery(Name = "operator")] Guid? operatorId,
        TwilioVoiceRequest request, CallFlow calls, IOptions<AppOptions> app, IOptions<RoutingOptions> routing, CancellationToken ct)
    {
        var verdict = await calls.DialEndedAsync(call, operatorId, connected: request.DialCallStatus is "completed" or "answered",
            request.DialCallDuration, callerGone: request.CallStatus is "completed" or "canceled", ct);
        // Not answered: offered to the next operator at once, keeping its place and its wait.
        return verdict == DialVerdict.Requeue
            ? await OfferOrEnqueueAsync(call, calls, app.Value, routing.Value, ct)
            : TwiML.Response(TwiML.Hangup());
    }

    static async Task<TwiMLResponse> BackupDialEnded(Guid call, TwilioVoiceRequest request, CallFlow calls,
        IOptions<AppOptions> app, CancellationToken ct)
    {
        if (request.DialCallStatus == "completed")
            return TwiML.Response(TwiML.Hangup());
        var plan = await calls.FallbackPlanAsync(call, ct);
        return plan is null ? TwiML.Response(TwiML.Hangup()) : Voicemail(call, plan, app.Value);
    }

    static async Task<TwiMLResponse> VoicemailRecorded(Guid call, TwilioVoiceRequest request, CallFlow calls, CancellationToken ct)
    {
        if (request.RecordingUrl is { Length: > 0 } url)
            await calls.RecordVoicemailAsync(call, url, ct);
        return TwiML.Response(TwiML.Hangup());
    }

    static TwiMLResponse Enqueue(Guid call, AppOptions app) => TwiML.Response(TwiML.Enqueue(QueueName,
        waitUrl: app.Url($"/telephony/twilio/wait?call={call}"),
        action: app.Url($"/telephony/twilio/queue-result?call={call}")));

    static TwiMLResponse Fallback(Guid call, FallbackPlan plan, AppOptions app) =>
        plan is { Mode: FallbackMode.BackupNumber, BackupNumber: { } backup }
            ? TwiML.Response(TwiML.Dial(TwiML.Number(backup), timeout: RingBackupSeconds,
                action: app.Url($"/telephony/twilio/backup-result?call={call}")))
            : Voicemail(call, plan, app);

    internal static TwiMLResponse Voicemail(Guid call, FallbackPlan plan, AppOptions app)
    {
        var english = plan.Language.StartsWith("en", StringComparison.Ordinal);
        var prompt = english
            ? $"You have reached {plan.BusinessName}. Nobody can take your call right now. Please leave a message after the tone."
            : $"Вы позвонили в {plan.BusinessName}. Сейчас никто не может ответить. Оставьте сообщение после сигнала.";
        return TwiML.Response(
            TwiML.Say(prompt, language: plan.Language),
            TwiML.Record(maxLength: VoicemailMaxSeconds, playBeep: true, action: app.Url($"/telephony/twilio/voicemail?call={call}")),
            TwiML.Hangup());
    }

    static async Task HangUpQuietlyAsync(ITelephonyProvider telephony, string callId, ILogger logger, CancellationToken ct)
    {
        try
        {
            await telephony.HangUpAsync(callId, ct);
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e))
        {
            // The forwarded leg is hung up by our TwiML anyway; the test leg ends with it.
            logger.LogWarning(e, "Could not hang up the forwarding-check call {CallId}", callId);
        }
    }
}
