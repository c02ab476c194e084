using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Calls;

/// <summary>
/// Settles calls that have stopped hearing from the provider (reports lost in a deploy, a network blip, a 5xx) with
/// the provider's own record of the call, so every call ends in exactly one outcome however many reports were lost.
/// Every instance runs it; a call is leased by the statement that picks it (row locks with SKIP LOCKED, then its
/// next look pushed past the lease), so one instance at a time looks at any call. Off the request path.
/// </summary>
public sealed class CallReconciler(
    IServiceScopeFactory scopes, TimeProvider clock, IOptions<CallOptions> options, ILogger<CallReconciler> logger)
{
    const int BatchSize = 50;
    static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    /// <summary>Voicemail (2 min) or the backup number (25 s) ends well within this.</summary>
    static readonly TimeSpan FallbackBound = TimeSpan.FromMinutes(10);
    readonly CallOptions settings = options.Value;

    /// <summary>Looks at the calls due now; returns how many it looked at.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<DueCall> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            if (!scope.ServiceProvider.GetRequiredService<ITelephonyProvider>().IsConfigured)
                return 0;
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var now = clock.GetUtcNow();
            var silent = now.AddSeconds(-settings.CallerSilenceSeconds);
            var grace = now - settings.ReportGrace;
            var ringing = grace.AddSeconds(-CallFlow.OperatorRingSeconds);
            var quiet = now - settings.RecheckLiveCall;
            var fallbackOver = now - FallbackBound;
            // Only calls that have not ended are looked at, through the partial index that holds just those.
            due = await db.Database.SqlQuery<DueCall>($"""
                UPDATE calls SET reconcile_at = {now + Lease}
                WHERE id IN (
                    SELECT id FROM calls
                    WHERE status <> 'Ended' AND (reconcile_at IS NULL OR reconcile_at <= {now}) AND (
                           (status = 'Waiting' AND last_seen_at < {silent})
                        OR (status = 'Claimed' AND ((bridged_at IS NULL AND claimed_at < {grace})
                                                 OR (ended_at IS NULL AND bridged_at < {ringing})
                                                 OR ended_at < {grace}))
                        OR (status = 'Answered' AND answered_at < {quiet})
                        OR (status = 'Fallback' AND received_at < {fallbackOver}))
                    ORDER BY received_at
                    LIMIT {BatchSize}
                    FOR UPDATE SKIP LOCKED)
                RETURNING id, provider_call_id, status, bridged_at
                """).ToListAsync(ct);
        }
        foreach (var call in due)
            await ReconcileAsync(call, ct);
        return due.Count;
    }

    async Task ReconcileAsync(DueCall call, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var telephony = scope.ServiceProvider.GetRequiredService<ITelephonyProvider>();
        var flow = scope.ServiceProvider.GetRequiredService<CallFlow>();
        ProviderCallRecord? record;
        IReadOnlyList<ProviderCallRecord> operatorLegs = [];
        try
        {
            record = await telephony.GetCallAsync(call.ProviderCallId, ct);
            if (call is { Status: nameof(CallStatus.Claimed), BridgedAt: not null })
                operatorLegs = await telephony.GetChildCallsAsync(call.ProviderCallId, ct);
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e) && !ct.IsCancellationRequested)
        {
            var attempts = await flow.ProviderUnreachableAsync(call.Id, ct);
            if (attempts < settings.MaxReconcileAttempts)
            {
                logger.LogWarning(e, "Could not ask the provider about call {CallId} (attempt {Attempts}); asking again later",
                    call.Id, attempts);
                return;
            }
            logger.LogWarning(e, "The provider could not be reached about call {CallId} {Attempts} times; settling it on our own evidence",
                call.Id, attempts);
            record = null;
        }

        var followUp = await flow.ReconcileAsync(call.Id, record, operatorLegs, ct);
        if (followUp == ReconcileFollowUp.None)
            return;
        var app = scope.ServiceProvider.GetRequiredService<IOptions<AppOptions>>().Value;
        var next = followUp == ReconcileFollowUp.SendToFallback
            ? TwilioCallWebhooks.FallbackPath(call.Id)
            // The bridge instructions answer Enqueue for a call that waits again.
            : TwilioCallWebhooks.BridgePath(call.Id);
        try
        {
            await telephony.RedirectCallAsync(call.ProviderCallId, CallInstructions.Fetch(app.Url(next)), ct);
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e) && !ct.IsCancellationRequested)
        {
            // The call is recorded as it should be; its next report or the next look finishes the job.
            logger.LogWarning(e, "Could not redirect call {CallId} after reconciling it", call.Id);
        }
    }

    sealed record DueCall(Guid Id, string ProviderCallId, string Status, DateTimeOffset? BridgedAt);
}

/// <summary>Runs <see cref="CallReconciler"/> on every instance, on a timer.</summary>
sealed class CallReconciliationService(CallReconciler reconciler, IOptions<CallOptions> options, ILogger<CallReconciliationService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await reconciler.RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Call reconciliation failed; trying again at the next interval");
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            // Real time on purpose: the interval is about load on the provider, not the business clock.
            try { await Task.Delay(options.Value.ReconcileInterval, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }
}
