using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Receptionist.Features.Calls;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Queue;

/// <summary>
/// Pushes waiting calls to operators: settles offers that rang out without a report, ends wrap-ups that ran their
/// time, and offers the waiting calls oldest first, each to the best operator (<see cref="CallQueue.OfferAsync"/>),
/// redirecting the caller to the instructions that ring that operator. Every instance runs it, woken by every queue
/// and operator change on any instance (PostgreSQL NOTIFY) and on a short timer for cooldowns and widening; the row
/// locks make concurrent passes on several instances safe. A call that arrives while someone is free never waits
/// for this: the incoming-call webhook offers it itself.
/// </summary>
public sealed class CallRouter(
    IServiceScopeFactory scopes, IOptions<RoutingOptions> options, ILogger<CallRouter> logger)
{
    const int CallsPerPass = 100;
    readonly Channel<byte> wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Something changed (a call waits, an operator is free): run a pass soon.</summary>
    public void Wake() => wake.Writer.TryWrite(0);

    /// <summary>Waits for a wake-up or the timeout, whichever comes first.</summary>
    internal async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try
        {
            await wake.Reader.WaitToReadAsync(timer.Token);
            wake.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass; returns how many calls it offered.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        if (!options.Value.Push)
            return 0;
        await using var scope = scopes.CreateAsyncScope();
        var telephony = scope.ServiceProvider.GetRequiredService<ITelephonyProvider>();
        if (!telephony.IsConfigured)
            return 0;
        var queue = scope.ServiceProvider.GetRequiredService<CallQueue>();
        var flow = scope.ServiceProvider.GetRequiredService<CallFlow>();
        var app = scope.ServiceProvider.GetRequiredService<IOptions<AppOptions>>().Value;

        // The provider's report that an offer rang out was lost: our clock settles it, so no offer is stuck.
        foreach (var offer in await queue.OffersRunOutAsync(ct))
            if (await flow.OfferEndedAsync(offer.Id, offer.OperatorId, OfferEnd.Missed, ct))
            {
                logger.LogInformation("Offer of call {CallId} to operator {OperatorId} ran out", offer.Id, offer.OperatorId);
                await RingAsync(offer, telephony, flow, queue, app, ct);
            }
        await queue.EndLongWrapUpsAsync(ct);

        var offered = 0;
        foreach (var callId in await queue.OldestWaitingAsync(CallsPerPass, ct))
        {
            if (!await queue.AnyoneOfferableAsync(ct))
                break;
            if (await flow.OfferAsync(callId, dialsNow: false, ct) is not { } offer)
                continue;
            offered++;
            await RingAsync(offer, telephony, flow, queue, app, ct);
        }
        return offered;
    }

    /// <summary>Moves the caller to the bridge instructions, which ring the operator the call is offered to now (or
    /// queue the caller again when it waits).</summary>
    async Task RingAsync(OfferedCallRow offer, ITelephonyProvider telephony, CallFlow flow, CallQueue queue, AppOptions app,
        CancellationToken ct)
    {
        try
        {
            await telephony.RedirectCallAsync(offer.ProviderCallId, CallInstructions.Fetch(app.Url(TwilioCallWebhooks.BridgePath(offer.Id))), ct);
        }
        catch (TelephonyException e) when (e.CallIsOver)
        {
            logger.LogInformation("Call {CallId} was over when offered", offer.Id);
            await flow.CallerGoneAsync(offer.Id, ct);
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e) && !ct.IsCancellationRequested)
        {
            // Not the operator's miss: the call waits again and the operator stays free.
            logger.LogWarning(e, "Could not ring an operator for call {CallId}; it waits again", offer.Id);
            await queue.ReturnAsync(offer.Id, PresenceState.Available, ct);
        }
    }
}

/// <summary>Runs <see cref="CallRouter"/> on every instance: on each wake-up, and at least every sweep interval.</summary>
sealed class CallRoutingService(CallRouter router, IOptions<RoutingOptions> options, ILogger<CallRoutingService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await router.RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Routing pass failed; trying again at the next change or interval");
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            // Real time on purpose: the interval is about how soon a cooldown or widening is noticed.
            try { await router.WaitAsync(options.Value.SweepInterval, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }
}
