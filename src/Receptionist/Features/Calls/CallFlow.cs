using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Billing;
using Receptionist.Features.Businesses;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;
using Receptionist.Features.Queue;
using Receptionist.Features.Summaries;
using Receptionist.Features.Telephony;
using Receptionist.Features.Webhooks;

namespace Receptionist.Features.Calls;

/// <summary>A call as the provider announces it, in provider-neutral terms.</summary>
public sealed record IncomingCall(string ProviderCallId, string From, string To, string? ForwardedFrom);

/// <summary>What to do with a new call.</summary>
public abstract record IncomingDecision
{
    /// <summary>Put the caller in the shared queue; they hear ringback until an operator takes them or it overflows.
    /// <paramref name="NobodyFree"/>: this delivery recorded the call and found nobody to offer it to.</summary>
    public sealed record Queue(Guid CallId, bool NobodyFree) : IncomingDecision;

    /// <summary>Someone was free: the call is offered to them, and the answer dials them.</summary>
    public sealed record Offered(Guid CallId, Guid OperatorId) : IncomingDecision;

    /// <summary>The caller is on the business's block list (Features/Blocking): recorded as blocked, never queued.
    /// <paramref name="Recorded"/> is true for the delivery that recorded it, false for a repeat.</summary>
    public sealed record Blocked(Guid CallId, Guid BusinessId, string BusinessName, string Language, bool Recorded) : IncomingDecision;

    /// <summary>Send the caller straight to the business's fallback.</summary>
    public sealed record Fallback(Guid CallId, FallbackPlan Plan) : IncomingDecision;

    /// <summary>Our own forwarding-check call came back: the check passed; end both legs.</summary>
    public sealed record ForwardingConfirmed(string? TestCallProviderId) : IncomingDecision;

    /// <summary>A repeated delivery for a call that is already over.</summary>
    public sealed record Over : IncomingDecision;

    /// <summary>The dialled number is not one of our active lines.</summary>
    public sealed record UnknownLine : IncomingDecision;
}

public sealed record FallbackPlan(string BusinessName, string Language, FallbackMode Mode, string? BackupNumber);

/// <summary>What the operator's dial ending means for the caller.</summary>
public enum DialVerdict
{
    /// <summary>The conversation happened, or the caller is gone: the call is over.</summary>
    HangUp,
    /// <summary>The operator did not pick up and the caller is still there: back to the queue.</summary>
    Requeue,
}

/// <summary>What reconciliation asks of the provider once it has settled what it knows.</summary>
public enum ReconcileFollowUp { None, SendToFallback, ReturnToQueue }

/// <summary>
/// The call lifecycle. Every transition is one short transaction on the call's row lock, guarded by the call's
/// state, so any instance can serve any step, each step moves on the first piece of evidence that proves it, and a
/// repeated, concurrent or late report finds nothing left to change. Webhook handlers and reconciliation translate
/// what they heard into these steps; they do not decide. Every call ends in exactly one outcome, and the owner
/// hears of every missed call exactly once.
/// </summary>
public sealed class CallFlow(
    AppDbContext db, NpgsqlDataSource dataSource, LineDirectory lines, CallQueue queue, TimeProvider clock,
    IOptions<CallOptions> options, IOptions<RoutingOptions> routingOptions, EmailTemplates templates, BillingUsage usage,
    OwnerEvents events, OwnerEmails ownerEmails, ILogger<CallFlow> logger)
{
    readonly CallOptions settings = options.Value;
    readonly RoutingOptions routing = routingOptions.Value;

    /// <summary>PostgreSQL keeps microseconds: times are compared at the precision they were stored with.</summary>
    DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>
    /// One round trip: decides whether the dialled line's business is live, screens the caller against the business's
    /// block list, records the call and, when someone fits it now, offers it to that operator
    /// (<see cref="CallQueue.ChooseOperatorSql"/>), so a caller who finds a free operator is dialled through by this
    /// very answer. A repeated delivery, even a concurrent one, finds the same call (the upsert returns the row whichever
    /// transaction inserted it) and offers nobody. A forwarding-check call, or a repeat of the one that passed a check,
    /// is not recorded. A live business's line known to this instance (<see cref="LineDirectory"/>) is not looked up
    /// again, unless the caller could be our own check call; every other call has the database find its line.
    /// </summary>
    public async Task<IncomingDecision> IncomingAsync(IncomingCall call, CancellationToken ct)
    {
        var now = Now();
        NpgsqlParameter[] parameters =
        [
            .. queue.RoutingParameters(now), new("id", Guid.CreateVersion7()),
            new("provider_call_id", call.ProviderCallId), new("caller", call.From),
            new NpgsqlParameter<string?>("forwarded_from", call.ForwardedFrom), new("offers", routing.Push),
        ];
        var known = await lines.FindAsync(call.To, ct);
        var row = known is not null && known.LiveAt(now) && !known.MayBeCheckCall(call)
            ? await RecordIncomingAsync(LiveLineSql, [.. parameters, .. LiveLineParameters(known)], ct)
            : await RecordIncomingAsync(IncomingSql, [.. parameters, new("dialled", call.To)], ct);

        if (row is null)
            return new IncomingDecision.UnknownLine();
        if (row.IsCheck)
        {
            await ConfirmForwardingAsync(row.BusinessId, call.ProviderCallId, now, ct);
            return new IncomingDecision.ForwardingConfirmed(row.PendingCheckCall);
        }
        var callId = row.CallId!.Value;
        return row switch
        {
            { Outcome: nameof(CallOutcome.Blocked) } => new IncomingDecision.Blocked(callId, row.BusinessId, row.Name, row.Language, row.Inserted),
            { Status: nameof(CallStatus.Fallback) } => new IncomingDecision.Fallback(callId, row.ToPlan()),
            { Status: nameof(CallStatus.Ended) } => new IncomingDecision.Over(),
            { Status: nameof(CallStatus.Claimed), OperatorId: { } operatorId } => new IncomingDecision.Offered(callId, operatorId),
            _ => new IncomingDecision.Queue(callId, NobodyFree: row.Inserted && routing.Push),
        };
    }

    /// <summary>Straight through Npgsql on the hot path: no query pipeline to build a statement that never changes.</summary>
    async Task<IncomingRow?> RecordIncomingAsync(string sql, NpgsqlParameter[] parameters, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new IncomingRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Text(4),
            reader.GetBoolean(5), Text(6), reader.IsDBNull(7) ? null : reader.GetGuid(7), Text(8), Text(9),
            reader.IsDBNull(10) ? null : reader.GetGuid(10), reader.GetBoolean(11));
    }

    static NpgsqlParameter[] LiveLineParameters(LineTarget line) =>
    [
        new("business_id", line.BusinessId), new("name", line.Name), new("language", line.Language),
        new("fallback", line.Fallback), new NpgsqlParameter<string?>("backup_number", line.BackupNumber),
        new NpgsqlParameter<Guid?>("scenario_version_id", line.ScenarioVersionId),
    ];

    /// <summary>Features/Blocking: a caller on the business's block list is recorded as blocked, never queued.</summary>
    static string BlockedSql(string business) => $"""
        EXISTS (SELECT 1 FROM blocked_callers x WHERE x.business_id = {business} AND x.number = @caller
                  AND (x.expires_at IS NULL OR x.expires_at > @now))
        """;

    /// <summary>
    /// Records the call of the one row of <c>classified</c> (the business: id, language, scenario_version_id; and
    /// live, is_check, blocked) and offers it, then answers with the business and the call.
    /// </summary>
    static readonly string RecordSql = $"""
        call AS (
            SELECT @id AS id, c.id AS business_id, c.language, @now AS received_at FROM classified c
            WHERE @offers AND c.live AND NOT c.is_check AND NOT c.blocked
        ),
        chosen AS ({CallQueue.ChooseOperatorSql}),
        recorded AS (
            INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, last_seen_at,
                               ended_at, operator_id, claimed_at, bridged_at, scenario_version_id, billable, reconcile_attempts)
            SELECT @id, c.id, @provider_call_id, @caller,
                   CASE WHEN c.blocked THEN 'Ended' WHEN NOT c.live THEN 'Fallback'
                        WHEN chosen.operator_id IS NOT NULL THEN 'Claimed' ELSE 'Waiting' END,
                   CASE WHEN c.blocked THEN 'Blocked' WHEN NOT c.live THEN 'NotLive' END, @now, @now,
                   CASE WHEN c.blocked THEN @now END,
                   chosen.operator_id, CASE WHEN chosen.operator_id IS NOT NULL THEN @now END,
                   CASE WHEN chosen.operator_id IS NOT NULL THEN @now END,
                   CASE WHEN chosen.operator_id IS NOT NULL THEN c.scenario_version_id END, false, 0
            FROM classified c LEFT JOIN chosen ON true WHERE NOT c.is_check
            -- DO UPDATE (not DO NOTHING) so that a concurrent duplicate waits for the first and gets its row back;
            -- the repeat is also evidence that the caller is still there. A call recorded before its caller was
            -- blocked goes on as it began.
            ON CONFLICT (provider_call_id) DO UPDATE SET last_seen_at = GREATEST(calls.last_seen_at, excluded.last_seen_at)
            RETURNING id, status, outcome, operator_id, xmax = 0 AS inserted
        ),
        ringing AS (
            -- Only the delivery that recorded the call offers it: a repeat leaves the operator it chose alone.
            UPDATE operator_presence SET state = 'Offered', updated_at = @now, offerable_at = NULL
            FROM recorded WHERE recorded.inserted AND recorded.status = 'Claimed'
              AND operator_presence.operator_id = recorded.operator_id
        )
        SELECT c.id AS business_id, c.name, c.language, c.fallback, c.backup_number, c.is_check, c.pending_check_call,
               r.id AS call_id, r.status, r.outcome, r.operator_id, COALESCE(r.inserted, false) AS inserted
        FROM classified c LEFT JOIN recorded r ON true
        """;

    /// <summary>A line this instance knows to be live, for a caller who cannot be our check call: the business comes
    /// from <see cref="LineDirectory"/> as parameters, so the statement only screens, records and offers.</summary>
    static readonly string LiveLineSql = $"""
        WITH classified AS (
            SELECT @business_id AS id, @name AS name, @language AS language, @fallback AS fallback,
                   @backup_number AS backup_number, @scenario_version_id AS scenario_version_id,
                   true AS live, false AS is_check, NULL::text AS pending_check_call,
                   {BlockedSql("@business_id")} AS blocked
        ),
        {RecordSql}
        """;

    /// <summary>Any call: the database finds the line's business and decides whether it is live and whether this is
    /// our forwarding-check call.</summary>
    static readonly string IncomingSql = $"""
        WITH target AS (
            SELECT b.id, b.name, b.language, b.fallback, b.backup_number, b.protected_number, b.scenario_version_id,
                   l.number AS line,
                   -- Live: the go-live checklist (GoLiveEndpoints); the subscription part is Subscription.AnswersCallsSql.
                   (b.forwarding_verified_at IS NOT NULL AND b.scenario_version_id IS NOT NULL AND EXISTS (
                        SELECT 1 FROM subscriptions s WHERE s.business_id = b.id
                          AND (s.status = 'Active' OR (s.status = 'PastDue' AND s.grace_until > @now)))) AS live,
                   COALESCE(pending.found, false) AS check_pending, pending.provider_call_id AS pending_check_call,
                   EXISTS (SELECT 1 FROM forwarding_checks r WHERE r.return_call_id = @provider_call_id) AS check_returned,
                   {BlockedSql("b.id")} AS blocked
            FROM receptionist_lines l JOIN businesses b ON b.id = l.business_id
            LEFT JOIN LATERAL (
                SELECT true AS found, f.provider_call_id FROM forwarding_checks f
                WHERE f.business_id = b.id AND f.state = 'Pending' LIMIT 1) AS pending ON true
            WHERE l.number = @dialled AND l.retired_at IS NULL
        ),
        classified AS (
            -- Our test call keeps our line as its caller id, or (some carriers) shows the forwarding number
            -- (LineTarget.MayBeCheckCall). A customer's call forwarded during the check has its own caller id and is
            -- answered as usual.
            SELECT t.*, (t.check_returned OR (t.check_pending AND (@caller = t.line
                OR (@forwarded_from = t.protected_number AND @caller = t.protected_number)))) AS is_check
            FROM target t
        ),
        {RecordSql}
        """;

    async Task ConfirmForwardingAsync(Guid businessId, string returnCallId, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var passed = await db.Database.SqlQuery<Guid>($"""
            UPDATE forwarding_checks SET state = 'Passed', completed_at = {now}, return_call_id = {returnCallId}
            WHERE business_id = {businessId} AND state = 'Pending'
            RETURNING id AS "Value"
            """).ToListAsync(ct);
        if (passed is [var checkId, ..])
        {
            await db.Set<Business>().Where(b => b.Id == businessId)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.ForwardingVerifiedAt, now), ct);
            await ownerEmails.ForwardingCheckedAsync(db, businessId, checkId, passed: true, timedOut: false, providerMessage: null, now, ct);
            await ownerEmails.AnnounceIfLiveAsync(db, businessId, now, ct);
            await db.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Asked each time the caller's ringback ends, in one statement: the poll proves the caller is still there, and
    /// past the overflow time a still-waiting call leaves the queue for the fallback (the same row lock decides a
    /// claim racing this: exactly one of them changes the call). True when the caller must leave the queue.
    /// </summary>
    public async Task<bool> WaitPollAsync(Guid callId, CancellationToken ct)
    {
        var now = Now();
        var deadline = now.AddSeconds(-settings.OverflowSeconds);
        var rows = await db.Database.SqlQuery<PolledRow>($"""
            UPDATE calls SET last_seen_at = {now},
                status = CASE WHEN status = 'Waiting' AND received_at <= {deadline} THEN 'Fallback' ELSE status END,
                outcome = CASE WHEN status = 'Waiting' AND received_at <= {deadline} THEN 'Overflowed' ELSE outcome END
            WHERE id = {callId} AND status IN ('Waiting', 'Claimed')
            RETURNING status, claimed_at
            """).ToListAsync(ct);
        if (rows is not [var row])
            // Not waiting any more (overflowed already, or settled): whatever the queue thought, the caller moves on.
            return true;
        // A caller still in the queue long after a claim was never bridged (the claiming instance died before
        // redirecting): the call waits again, so the next poll can overflow it or another operator take it.
        if (row is { Status: nameof(CallStatus.Claimed), ClaimedAt: { } claimedAt } && claimedAt <= now - StaleClaim)
            await queue.ReturnAsync(callId, PresenceState.Available, ct, claimedBefore: now - StaleClaim);
        return row.Status == nameof(CallStatus.Fallback);
    }

    /// <summary>How long the operator's console rings before the caller goes back to the queue.</summary>
    public const int OperatorRingSeconds = 20;

    /// <summary>Redirecting a claimed caller takes well under a second; a claim this old was never carried out.</summary>
    public static readonly TimeSpan StaleClaim = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The caller left the queue (the Enqueue action). A hang-up is the first proof that a waiting caller is gone;
    /// an error sends them to the fallback. Null when nothing more is to be done for the caller.
    /// </summary>
    public async Task<FallbackPlan?> LeftQueueAsync(Guid callId, string? queueResult, CancellationToken ct)
    {
        switch (queueResult)
        {
            case "hangup":
                await EndAsync(callId, Now(), providerFailed: false, ct);
                return null;
            case "error" or "system-error" or "queue-full":
                await db.Set<Call>().Where(c => c.Id == callId && c.Status == CallStatus.Waiting)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallStatus.Fallback)
                        .SetProperty(c => c.Outcome, CallOutcome.Failed), ct);
                return await FallbackPlanAsync(callId, ct);
            case "leave":
                return await FallbackPlanAsync(callId, ct);
            default:
                // bridged, redirected: the call goes on elsewhere and reports from there.
                return null;
        }
    }

    /// <summary>
    /// Offers a waiting call to the best available operator (<see cref="CallQueue.OfferAsync"/>). With
    /// <paramref name="dialsNow"/> the instructions that dial the operator are the answer to the request at hand (the
    /// incoming call, a missed offer's dial result), so the bridge begins now. Null when nobody fits.
    /// </summary>
    public Task<OfferedCallRow?> OfferAsync(Guid callId, bool dialsNow, CancellationToken ct) =>
        queue.OfferAsync(callId, dialsNow, ct);

    /// <summary>The operator to dial for a call a router pass offered meanwhile, if its redirect has not rung it yet
    /// (<see cref="CallQueue.TakeRingAsync"/>).</summary>
    public Task<Guid?> TakeRingAsync(Guid callId, CancellationToken ct) => queue.TakeRingAsync(callId, null, ct);

    /// <summary>
    /// An offer ended unanswered (rang out, or declined): the call goes back to its place at the head of the queue and
    /// the operator is free, counting the miss (enough misses in a row: away) or cooling down after a decline. Only the
    /// offer to <paramref name="operatorId"/> (when given) and only while unanswered.
    /// </summary>
    public Task<bool> OfferEndedAsync(Guid callId, Guid? operatorId, OfferEnd end, CancellationToken ct, bool callerHeard = false) =>
        queue.ReturnOfferAsync(callId, operatorId, end, callerHeard, ct);

    /// <summary>The fallback for a call that has been sent there (overflow, or an operator leg that failed late).</summary>
    public Task<FallbackPlan?> FallbackPlanAsync(Guid callId, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId)
            .Join(db.Set<Business>(), c => c.BusinessId, b => b.Id,
                (c, b) => new FallbackPlan(b.Name, b.Language, b.Fallback, b.BackupNumber))
            .FirstOrDefaultAsync(ct);

    /// <summary>The provider fetches the instructions that dial the claiming operator: recorded, in one statement,
    /// as the moment the bridge began. Without an operator: Waiting (dial nobody, queue again) or over (hang up).</summary>
    public async Task<(Guid? OperatorId, bool Waiting)> BridgeAsync(Guid callId, CancellationToken ct)
    {
        var now = Now();
        var operators = await db.Database.SqlQuery<Guid>($"""
            UPDATE calls SET bridged_at = COALESCE(bridged_at, {now})
            WHERE id = {callId} AND status = 'Claimed'
            RETURNING operator_id AS "Value"
            """).ToListAsync(ct);
        if (operators is [var operatorId])
            return (operatorId, false);
        // The provider asking what to do with a waiting caller is proof the caller is there, so the call may be offered.
        return (null, await db.Set<Call>().Where(c => c.Id == callId && c.Status == CallStatus.Waiting)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastSeenAt, now), ct) > 0);
    }

    /// <summary>
    /// The provider reports the operator's leg connected at <paramref name="at"/> (its own timestamp when it gave one):
    /// the wait ends then. A repeated report changes nothing; when the caller's end was heard first, this settles it.
    /// </summary>
    public async Task OperatorAnsweredAsync(Guid callId, DateTimeOffset? at, CancellationToken ct)
    {
        var now = Now();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var call = await LockAsync(callId, ct);
        if (call is not { Status: CallStatus.Claimed })
            return;
        await MarkAnsweredAsync(call, at ?? now, ct);
        if (call.EndedAt is { } ended)
            await SettleAsync(call, ended, providerFailed: false, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// The Dial to the operator ended. Connected (DialCallStatus completed) proves the answer even if the leg's own
    /// report was lost: the answer time is the end minus the connected duration. Then the call is over, since the
    /// instructions that follow hang up. Not connected: the caller queues again, unless they hung up meanwhile.
    /// </summary>
    public async Task<DialVerdict> DialEndedAsync(Guid callId, Guid? operatorId, bool connected, int? connectedSeconds,
        bool callerGone, CancellationToken ct)
    {
        if (!connected && !callerGone)
        {
            // A missed offer (or a manual claim not picked up): counted, so an operator who keeps missing goes away.
            await OfferEndedAsync(callId, operatorId, OfferEnd.Missed, ct, callerHeard: true);
            return DialVerdict.Requeue;
        }
        var now = Now();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var call = await LockAsync(callId, ct);
        if (call is null || call.Status == CallStatus.Ended)
            return DialVerdict.HangUp;
        if (connected && call.Status == CallStatus.Claimed)
            await MarkAnsweredAsync(call, now.AddSeconds(-(connectedSeconds ?? 0)), ct);
        await SettleAsync(call, call.EndedAt ?? now, providerFailed: false, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return DialVerdict.HangUp;
    }

    public Task RecordVoicemailAsync(Guid callId, string recordingUrl, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RecordingUrl, recordingUrl), ct);

    /// <summary>
    /// The provider says the caller's call ended at <paramref name="at"/> (the status callback). Settles the outcome
    /// once (a repeated report changes nothing). A bridged call with no word yet on whether the operator answered keeps
    /// the end time and waits for that evidence (the Dial action, the leg's report, or reconciliation).
    /// </summary>
    public async Task CallEndedAsync(string providerCallId, DateTimeOffset? at, bool providerFailed, CancellationToken ct)
    {
        var now = Now();
        if (!await EndAsync(providerCallId, at ?? now, providerFailed, ct))
            await FailForwardingCheckIfOursAsync(providerCallId, providerFailed, now, ct);
    }

    /// <summary>
    /// A claim found the caller already gone (the provider refused to redirect a call that is over): the call ends as
    /// abandoned, its operator is free for the next caller, and the owner hears of it.
    /// </summary>
    public Task CallerGoneAsync(Guid callId, CancellationToken ct) =>
        EndAsync(callId, Now(), providerFailed: false, ct);

    /// <summary>False when no such call exists.</summary>
    async Task<bool> EndAsync(CallKey which, DateTimeOffset at, bool providerFailed,
        CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var call = await LockAsync(which, ct);
        if (call is null)
            return false;
        if (call.Status == CallStatus.Ended)
            return true;
        if (call is { Status: CallStatus.Claimed, BridgedAt: not null })
            call.EndedAt ??= at;
        else
            await SettleAsync(call, at, providerFailed, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Settles a call that has stopped hearing from the provider with the provider's own record of it (and of the
    /// operator's leg it dialled). <paramref name="record"/> null means the provider does not know the call, or could
    /// not be reached for too long: the call is settled on the evidence at hand, so no call waits forever.
    /// </summary>
    public async Task<ReconcileFollowUp> ReconcileAsync(Guid callId, ProviderCallRecord? record,
        IReadOnlyList<ProviderCallRecord> operatorLegs, CancellationToken ct)
    {
        var now = Now();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var call = await LockAsync(callId, ct);
        if (call is null || call.Status == CallStatus.Ended)
            return ReconcileFollowUp.None;
        var followUp = ReconcileFollowUp.None;
        var answeredLeg = operatorLegs.FirstOrDefault(l => l.WasAnswered);
        if (call.Status == CallStatus.Claimed && answeredLeg is not null)
            await MarkAnsweredAsync(call, answeredLeg.AnsweredAt ?? now, ct);

        if (record is null || record.HasEnded)
        {
            var ended = record?.EndTime ?? call.EndedAt ?? call.LastSeenAt ?? now;
            logger.LogInformation("Call {CallId} reconciled as ended ({Status}) at {EndedAt}", call.Id, record?.Status ?? "unknown", ended);
            await SettleAsync(call, ended, providerFailed: record?.Failed ?? false, ct);
        }
        else
        {
            switch (call.Status)
            {
                case CallStatus.Waiting:
                    call.LastSeenAt = now;
                    if (call.ReceivedAt <= now.AddSeconds(-settings.OverflowSeconds))
                    {
                        call.Status = CallStatus.Fallback;
                        call.Outcome = CallOutcome.Overflowed;
                        followUp = ReconcileFollowUp.SendToFallback;
                    }
                    break;
                case CallStatus.Claimed when call.BridgedAt is null:
                    // The claim was never carried out and the caller is not polling: put them back in the queue.
                    await OperatorPresence.SetAsync(db, call.OperatorId!.Value, PresenceState.Available, now, ct);
                    call.Status = CallStatus.Waiting;
                    call.OperatorId = null;
                    call.ClaimedAt = null;
                    call.LastSeenAt = now;
                    followUp = ReconcileFollowUp.ReturnToQueue;
                    break;
            }
            call.ReconcileAttempts = 0;
            // A waiting caller is looked at again when silent again; others when their next report is overdue.
            call.ReconcileAt = call.Status switch
            {
                CallStatus.Waiting => null,
                CallStatus.Claimed => now + settings.ReportGrace,
                _ => now + settings.RecheckLiveCall,
            };
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return followUp;
    }

    /// <summary>The provider could not be reached about a call: look again later, less often each time.</summary>
    public async Task<int> ProviderUnreachableAsync(Guid callId, CancellationToken ct)
    {
        var now = Now();
        var attempts = await db.Database.SqlQuery<int>($"""
            UPDATE calls SET reconcile_attempts = reconcile_attempts + 1 WHERE id = {callId} AND status <> 'Ended'
            RETURNING reconcile_attempts AS "Value"
            """).ToListAsync(ct);
        if (attempts is not [var count])
            return 0;
        var delay = TimeSpan.FromTicks(Math.Min(settings.FirstReconcileRetry.Ticks << Math.Min(count - 1, 20), settings.MaxReconcileRetry.Ticks));
        await db.Set<Call>().Where(c => c.Id == callId).ExecuteUpdateAsync(s => s.SetProperty(c => c.ReconcileAt, now + delay), ct);
        return count;
    }

    /// <summary>The call, locked until the transaction ends: concurrent transitions of one call run in turn, and each
    /// sees what the one before it left.</summary>
    Task<Call?> LockAsync(CallKey key, CancellationToken ct) => (key.Id is { } id
            ? db.Set<Call>().FromSql($"SELECT * FROM calls WHERE id = {id} FOR UPDATE")
            : db.Set<Call>().FromSql($"SELECT * FROM calls WHERE provider_call_id = {key.ProviderCallId} FOR UPDATE"))
        .FirstOrDefaultAsync(ct);

    /// <summary>Our id for a call, or the provider's.</summary>
    readonly record struct CallKey(Guid? Id, string? ProviderCallId)
    {
        public static implicit operator CallKey(Guid id) => new(id, null);
        public static implicit operator CallKey(string providerCallId) => new(null, providerCallId);
    }

    /// <summary>The operator's leg connected at <paramref name="at"/>: the wait ends then, and the bill follows the SLA.</summary>
    async Task MarkAnsweredAsync(Call call, DateTimeOffset at, CancellationToken ct)
    {
        var now = Now();
        // Provider clocks and ours differ a little: an answer is never before the call came, nor in the future.
        at = at < call.ReceivedAt ? call.ReceivedAt : at > now ? now : at;
        at = at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMicrosecond));
        call.Status = CallStatus.Answered;
        call.AnsweredAt = at;
        call.Billable = at - call.ReceivedAt <= TimeSpan.FromSeconds(settings.AnswerSlaSeconds);
        // An offer answered: the operator is on the call, and their run of missed offers is over.
        if (call.OperatorId is { } operatorId)
            await db.Database.ExecuteSqlAsync($"""
                UPDATE operator_presence SET missed_offers = 0,
                    state = CASE WHEN state = 'Offered' THEN 'Busy' ELSE state END,
                    updated_at = CASE WHEN state = 'Offered' THEN {now} ELSE updated_at END
                WHERE operator_id = {operatorId}
                """, ct);
        // In this transaction: the usage count locks the subscription row so simultaneous answers count in turn.
        await usage.RecordAnsweredCallAsync(db, call, ct);
        await events.PublishAsync(db, OwnerEventTypes.CallAnswered, call.BusinessId, new EventData(events.Describe(call)), ct);
    }

    /// <summary>
    /// Ends a locked call with exactly one outcome: answered if an operator's leg connected, the fallback's reason if
    /// it went there, otherwise abandoned (or failed, when the provider could not complete it). Frees the operator
    /// (to wrap-up after a conversation) and tells the owner of a missed call, all in the caller's transaction.
    /// </summary>
    async Task SettleAsync(Call call, DateTimeOffset endedAt, bool providerFailed, CancellationToken ct)
    {
        var now = Now();
        var before = call.Status;
        call.Outcome ??= before switch
        {
            CallStatus.Answered => CallOutcome.Answered,
            _ when providerFailed => CallOutcome.Failed,
            _ => CallOutcome.Abandoned,
        };
        call.EndedAt ??= endedAt;
        call.Status = CallStatus.Ended;
        call.ReconcileAt = null;
        // A caller the operator handed to the owner is no longer the operator's: their state has moved on. (Only an
        // answered call can have been handed over: an unanswered offer just frees its operator.)
        if (call.OperatorId is { } operatorId && (before == CallStatus.Claimed || before == CallStatus.Answered
            && !await db.Set<Transfers.CallTransfer>().AnyAsync(t => t.CallId == call.Id
                && (t.State == Transfers.TransferState.Connected || t.State == Transfers.TransferState.Sent), ct)))
        {
            // A summary written during the conversation leaves no wrap-up to do; a caller who never reached the
            // operator leaves nothing to wrap up either.
            var wrapUp = before == CallStatus.Answered && !await db.Set<CallSummary>().AnyAsync(s => s.CallId == call.Id, ct);
            await OperatorPresence.SetAsync(db, operatorId, wrapUp ? PresenceState.WrapUp : PresenceState.Available, now, ct);
        }
        if (call.Outcome != CallOutcome.Answered)
            await NotifyMissedCallAsync(call, ct);
    }

    async Task NotifyMissedCallAsync(Call call, CancellationToken ct)
    {
        var business = await db.Set<Business>().FirstAsync(b => b.Id == call.BusinessId, ct);
        var email = templates.Render("missed-call", new
        {
            BusinessName = business.Name,
            call.CallerNumber,
            CalledAt = business.LocalTime(call.ReceivedAt),
            WaitSeconds = (int)Math.Round(((call.EndedAt ?? call.ReceivedAt) - call.ReceivedAt).TotalSeconds),
            call.RecordingUrl,
        });
        db.Add(OutboxMessage.Email(EmailMessage.Create(business.SummaryEmails, email), clock.GetUtcNow()));
        await events.PublishAsync(db, OwnerEventTypes.CallMissed, call.BusinessId, new EventData(events.Describe(call)), ct);
    }

    /// <summary>A forwarding-check call that the provider could not complete fails the check with its reason.</summary>
    async Task FailForwardingCheckIfOursAsync(string providerCallId, bool providerFailed, DateTimeOffset now, CancellationToken ct)
    {
        if (!providerFailed)
            return;
        var failed = await db.Database.ExecuteSqlAsync($"""
            UPDATE forwarding_checks SET state = 'Failed', completed_at = {now},
                failure_reason = 'The test call to your number could not be completed (busy, unreachable or rejected).'
            WHERE provider_call_id = {providerCallId} AND state = 'Pending'
            """, ct);
        if (failed > 0)
            logger.LogInformation("Forwarding check call {ProviderCallId} failed", providerCallId);
    }

    sealed record PolledRow(string Status, DateTimeOffset? ClaimedAt);

    sealed record IncomingRow(
        Guid BusinessId, string Name, string Language, string Fallback, string? BackupNumber,
        bool IsCheck, string? PendingCheckCall, Guid? CallId, string? Status, string? Outcome, Guid? OperatorId, bool Inserted)
    {
        public FallbackPlan ToPlan() => new(Name, Language, Enum.Parse<FallbackMode>(Fallback), BackupNumber);
    }
}
