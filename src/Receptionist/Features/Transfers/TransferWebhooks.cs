using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Transfers;

/// <param name="Mode">warm (announced to the owner, who presses 1) or cold (sent straight to the owner's number).</param>
/// <param name="Reason">What the call is about, said to the owner.</param>
public sealed record TransferRequest(
    [property: Required, AllowedValues("warm", "cold")] string Mode,
    [property: MaxLength(200)] string? Reason = null);

public sealed record TransferStarted(Guid CallId, TransferMode Mode, TransferState State);

/// <summary>The operator's transfer button and the TwiML of a transfer's legs (all signed by Twilio).</summary>
public static class TransferWebhooks
{
    const string Base = "/telephony/twilio/transfer";
    public static string HoldPath(Guid callId) => $"{Base}/hold?call={callId}";
    public static string WhisperPath(Guid callId) => $"{Base}/whisper?call={callId}";
    public static string BackPath(Guid callId) => $"{Base}/back?call={callId}";
    public static string ColdPath(Guid callId) => $"{Base}/cold?call={callId}";

    public static IServiceCollection AddTransfers(this IServiceCollection services) => services.AddScoped<TransferFlow>();

    public static IEndpointRouteBuilder MapTransfers(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup("/api/console").WithTags("Console").RequireAuthorization(Policies.Operator);
        console.MapPost("/calls/{id:guid}/transfer", TransferCall).WithName(nameof(TransferCall))
            .WithSummary("Transfer the caller to the business's owner: warm (announced, the owner presses 1) or cold");
        app.MapTransferSettings();
        return app;
    }

    public static RouteGroupBuilder MapTransferWebhooks(this RouteGroupBuilder twilio)
    {
        twilio.MapPost("/transfer/hold", Hold).WithName(nameof(Hold)).WithSummary("Twilio: the caller holds for the owner");
        twilio.MapPost("/transfer/hold-ended", HoldEnded).WithName(nameof(HoldEnded)).WithSummary("Twilio: the caller's conference ended");
        twilio.MapPost("/transfer/whisper", Whisper).WithName(nameof(Whisper)).WithSummary("Twilio: the owner answered; who is calling");
        twilio.MapPost("/transfer/owner-key", OwnerKey).WithName(nameof(OwnerKey)).WithSummary("Twilio: the owner pressed a key");
        twilio.MapPost("/transfer/back", Back).WithName(nameof(Back)).WithSummary("Twilio: the caller back to the operator");
        twilio.MapPost("/transfer/back-result", BackEnded).WithName(nameof(BackEnded)).WithSummary("Twilio: the dial back to the operator ended");
        twilio.MapPost("/transfer/cold", Cold).WithName(nameof(Cold)).WithSummary("Twilio: the caller sent to the owner");
        twilio.MapPost("/transfer/cold-result", ColdEnded).WithName(nameof(ColdEnded)).WithSummary("Twilio: the cold transfer's dial ended");
        return twilio;
    }

    static async Task<Results<Accepted<TransferStarted>, NotFound, ProblemHttpResult>> TransferCall(
        Guid id, TransferRequest request, TransferFlow transfers, CurrentUser me, CancellationToken ct)
    {
        var mode = request.Mode == "cold" ? TransferMode.Cold : TransferMode.Warm;
        var refused = await transfers.StartAsync(id, me.Id, mode, request.Reason, ct);
        return refused switch
        {
            null => TypedResults.Accepted((string?)null,
                new TransferStarted(id, mode, mode == TransferMode.Warm ? TransferState.Ringing : TransferState.Sent)),
            TransferRefusal.NotYourCall => TypedResults.NotFound(),
            TransferRefusal.ProviderFailed => TypedResults.Problem("The provider could not place the transfer; you are back with the caller.",
                statusCode: StatusCodes.Status502BadGateway, title: "Transfer failed"),
            _ => TypedResults.Problem(refused switch
            {
                TransferRefusal.NotOnCall => "Only a call you are talking on can be transferred.",
                TransferRefusal.AlreadyTransferring => "This call is already being transferred.",
                TransferRefusal.NoTransferNumber => "The business has no transfer number.",
                TransferRefusal.OutsideHours => "The business does not take transfers at this hour.",
                _ => "The business does not allow cold transfers.",
            }, statusCode: StatusCodes.Status409Conflict, title: "Cannot transfer"),
        };
    }

    /// <summary>The caller waits in the conference (Twilio's hold music) until the owner joins; leaving does not end it.</summary>
    static TwiMLResponse Hold(Guid call, IOptions<AppOptions> app) =>
        TwiML.Response(TwiML.Dial(TwiML.Conference(TransferFlow.Conference(call), startConferenceOnEnter: false, endConferenceOnExit: false,
            beep: false), action: app.Value.Url($"{Base}/hold-ended?call={call}")));

    /// <summary>The conference ended (the owner hung up after talking): the call is over.</summary>
    static TwiMLResponse HoldEnded() => TwiML.Response(TwiML.Hangup());

    static async Task<TwiMLResponse> Whisper(Guid call, TransferFlow transfers, IOptions<AppOptions> app, CancellationToken ct)
    {
        if (await transfers.WhisperAsync(call, ct) is not { } whisper)
            return TwiML.Response(TwiML.Hangup());
        // No keypress (voicemail, or nobody listening) falls through to the hang-up: the transfer did not happen.
        return TwiML.Response(
            TwiML.Gather(TwiML.Say(whisper.Text, language: whisper.Language), numDigits: 1,
                action: app.Value.Url($"{Base}/owner-key?call={call}"), timeout: TransferFlow.WhisperKeySeconds),
            TwiML.Hangup());
    }

    static async Task<TwiMLResponse> OwnerKey(Guid call, TwilioVoiceRequest request, TransferFlow transfers, CancellationToken ct) =>
        await transfers.OwnerPressedAsync(call, request.Digits, ct)
            ? TwiML.Response(TwiML.Dial(TwiML.Conference(TransferFlow.Conference(call), startConferenceOnEnter: true,
                endConferenceOnExit: true, beep: false)))
            : TwiML.Response(TwiML.Hangup());

    /// <summary>The owner did not take the caller: the operator's console rings again to take a message.</summary>
    static async Task<TwiMLResponse> Back(Guid call, TransferFlow transfers, IOptions<AppOptions> app, CancellationToken ct)
    {
        if (await transfers.OperatorToReturnToAsync(call, ct) is not { } operatorId)
            return TwiML.Response(TwiML.Hangup());
        return TwiML.Response(TwiML.Dial(TwiML.Client(TwilioProvider.OperatorIdentity(operatorId)),
            timeout: Calls.CallFlow.OperatorRingSeconds, action: app.Value.Url($"{Base}/back-result?call={call}")));
    }

    /// <summary>The operator took the caller back and the talk ended, or did not pick up: then the caller leaves a message.</summary>
    static async Task<TwiMLResponse> BackEnded(Guid call, TwilioVoiceRequest request, TransferFlow transfers,
        IOptions<AppOptions> app, CancellationToken ct) =>
        request.DialCallStatus is "completed" or "answered" || await transfers.VoicemailPlanAsync(call, ct) is not { } plan
            ? TwiML.Response(TwiML.Hangup())
            : TwilioCallWebhooks.Voicemail(call, plan, app.Value);

    static async Task<TwiMLResponse> Cold(Guid call, TransferFlow transfers, IOptions<AppOptions> app, CancellationToken ct) =>
        await transfers.TransferNumberAsync(call, ct) is { } number
            ? TwiML.Response(TwiML.Dial(TwiML.Number(number), timeout: 25, action: app.Value.Url($"{Base}/cold-result?call={call}")))
            : TwiML.Response(TwiML.Hangup());

    static async Task<TwiMLResponse> ColdEnded(Guid call, TwilioVoiceRequest request, TransferFlow transfers,
        IOptions<AppOptions> app, CancellationToken ct)
    {
        var answered = request.DialCallStatus is "completed" or "answered";
        await transfers.ColdDialEndedAsync(call, answered, ct);
        return answered || await transfers.VoicemailPlanAsync(call, ct) is not { } plan
            ? TwiML.Response(TwiML.Hangup())
            : TwilioCallWebhooks.Voicemail(call, plan, app.Value);
    }
}
