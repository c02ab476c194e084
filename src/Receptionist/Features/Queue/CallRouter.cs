using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Receptionist.Features.Calls;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Queue;

/// <summary>
/// Pushes waiting calls to operators: settles offers that rang out without a report, ends wrap-ups that ran their
/// time, and offers the waiting calls oldest first, each to the best operator (<see cref="CallQueue.OfferAsync"/>),
/// redirecting the caller to the instructions that ring that operator. Every instance runs it, woken whenever an
/// operator on any instance becomes free to be offered a call (PostgreSQL NOTIFY) and on a short timer for run-out
/// offers, ended cooldowns and widening; the row locks make concurrent passes on several instances safe. A call that
/// arrives while someone who fits it is free (and is not kept for a call that has waited longer) never waits for this:
/// the incoming-call webhook offers it itself.
/// </summary>
public sealed class CallRouter(
    IServiceScopeFactory scopes, IOptions<RoutingOptions> options, ILogger<CallRouter> logger)
{
    const int CallsPerPass = 100;
    /// <summary>Redirects under way at once: each is a request to the provider, so a pass that offers many calls rings
    /// them side by side instead of one provider round trip after another.</summary>
    const int RingsAtOnce = 16;
    readonly SemaphoreSlim ringSlots = new(RingsAtOnce);
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

    /// <summary>One pass; returns how many calls it offered. With <paramref name="sweep"/> it first does the clock's
    /// work (offers run out, wrap-ups over); a pass woken by a freed operator needs only offer the waiting calls. Each
    /// offer's redirect is started at once and runs beside the pass; with <paramref name="waitForRings"/> the pass returns
    /// when they are done (the background service does not wait: the next freed operator is offered the next call
    /// while the provider still answers the last redirect).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct, bool sweep = true, bool waitForRings = true)
    {
        if (!options.Value.Push)
            return 0;
        await using var scope = scopes.CreateAsyncScope();
        if (!scope.ServiceProvider.GetRequiredService<ITelephonyProvider>().IsConfigured)
            return 0;
        var queue = scope.ServiceProvider.GetRequiredService<CallQueue>();
        var flow = scope.ServiceProvider.GetRequiredService<CallFlow>();
        var rings = new List<Task>();

        if (sweep)
        {
            // The provider's report that an offer rang out was lost: our clock settles it, so no offer is stuck.
            foreach (var offer in await queue.OffersRunOutAsync(ct))
                if (await flow.OfferEndedAsync(offer.Id, offer.OperatorId, OfferEnd.Missed, ct))
                {
                    logger.LogInformation("Offer of call {CallId} to operator {OperatorId} ran out", offer.Id, offer.OperatorId);
                    rings.Add(await StartRingAsync(offer, newOffer: false, ct));
                }
            await queue.EndLongWrapUpsAsync(ct);
        }

        var offered = 0;
        foreach (var callId in await queue.OldestWaitingAsync(CallsPerPass, ct))
        {
            if (await flow.OfferAsync(callId, dialsNow: false, ct) is { } offer)
            {
                offered++;
                rings.Add(await StartRingAsync(offer, newOffer: true, ct));
            }
            // Nobody fits this call: someone may fit the next (another language, or widened by its wait), unless
            // nobody at all can be offered a call now.
            else if (!await queue.AnyoneOfferableAsync(ct))
                break;
        }
        if (waitForRings)
            await Task.WhenAll(rings);
        return offered;
    }

    /// <summary>Starts the redirect for an offer once one of the <see cref="RingsAtOnce"/> slots is free.</summary>
    internal async Task<Task> StartRingAsync(OfferedCallRow offer, bool newOffer, CancellationToken ct)
    {
        await ringSlots.WaitAsync(ct);
        return RingAsync(offer, newOffer, ct);
    }

    /// <summary>Moves the caller to the bridge instructions, which ring the operator the call is offered to now (or
    /// queue the caller again when it waits). A <paramref name="newOffer"/> is rung only if the caller's own request
    /// did not dial the operator meanwhile (<see cref="CallQueue.TakeRingAsync"/>); a run-out offer's caller is moved on
    /// from the dial that rang out. In its own scope, since it may outlive the pass; it never throws.</summary>
    async Task RingAsync(OfferedCallRow offer, bool newOffer, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var services = scope.ServiceProvider;
            var app = services.GetRequiredService<IOptions<AppOptions>>().Value;
            if (newOffer && await services.GetRequiredService<CallQueue>().TakeRingAsync(offer.Id, offer.OperatorId, ct) is null)
                return;
            try
            {
                await services.GetRequiredService<ITelephonyProvider>().RedirectCallAsync(offer.ProviderCallId,
                    CallInstructions.Fetch(app.Url(TwilioCallWebhooks.BridgePath(offer.Id))), ct);
            }
            catch (TelephonyException e) when (e.CallIsOver)
            {
                logger.LogInformation("Call {CallId} was over when offered", offer.Id);
                await services.GetRequiredService<CallFlow>().CallerGoneAsync(offer.Id, ct);
            }
            catch (Exception e) when (TelephonyException.IsProviderFailure(e) && !ct.IsCancellationRequested)
            {
                // Not the operator's miss: the call waits again and the operator stays free.
                logger.LogWarning(e, "Could not ring an operator for call {CallId}; it waits again", offer.Id);
                await services.GetRequiredService<CallQueue>().ReturnAsync(offer.Id, PresenceState.Available, ct);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // The offer stays as it is: it runs out on our clock and the call moves on (OffersRunOutAsync).
            logger.LogError(e, "Ringing for call {CallId} failed; its offer will run out", offer.Id);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Stopping: the offer runs out at the next sweep (another instance's, or this one's after a restart).
        }
        finally
        {
            ringSlots.Release();
        }
    }
}

/// <summary>Runs <see cref="CallRouter"/> on every instance: on each wake-up, and at least every sweep interval.</summary>
sealed class CallRoutingService(CallRouter router, IOptions<RoutingOptions> options, ILogger<CallRoutingService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time on purpose: the interval is about how soon a run-out offer, a wrap-up over, a cooldown or a widening
        // is noticed. Passes woken by changes in between only offer (at 200 calls a second they come back to back).
        long? lastSweep = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var sweep = lastSweep is not { } last || Stopwatch.GetElapsedTime(last) >= options.Value.SweepInterval;
            if (sweep)
                lastSweep = Stopwatch.GetTimestamp();
            try
            {
                await router.RunOnceAsync(stoppingToken, sweep, waitForRings: false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Routing pass failed; trying again at the next change or interval");
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            try { await router.WaitAsync(options.Value.SweepInterval, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }
}
