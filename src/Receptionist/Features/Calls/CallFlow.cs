using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Billing;
using Receptionist.Features.Businesses;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Calls;

/// <summary>A call as the provider announces it, in provider-neutral terms.</summary>
public sealed record IncomingCall(string ProviderCallId, string From, string To, string? ForwardedFrom);

/// <summary>What to do with a new call.</summary>
public abstract record IncomingDecision
{
    /// <summary>Put the caller in the shared queue; they hear ringback until an operator takes them or it overflows.</summary>
    public sealed record Queue(Guid CallId) : IncomingDecision;

    /// <summary>Send the caller straight to the business's fallback.</summary>
    public sealed record Fallback(Guid CallId, FallbackPlan Plan) : IncomingDecision;

    /// <summary>Our own forwarding-check call came back: the check passed; end both legs.</summary>
    public sealed record ForwardingConfirmed(string? TestCallProviderId) : IncomingDecision;

    /// <summary>The dialled number is not one of our active lines.</summary>
    public sealed record UnknownLine : IncomingDecision;
}

public sealed record FallbackPlan(string BusinessName, string Language, FallbackMode Mode, string? BackupNumber);

/// <summary>
/// The call lifecycle, driven by the provider's webhooks: every step is one short transaction, so any
/// instance can serve any step. Every call ends in exactly one outcome, and every missed call is told to the owner.
/// </summary>
public sealed class CallFlow(
    AppDbContext db, Queue.CallQueue queue, TimeProvider clock, IOptions<CallOptions> options, EmailTemplates templates,
    BillingUsage usage, ILogger<CallFlow> logger)
{
    /// <summary>
    /// One round trip: finds the business by the dialled line, decides whether it is live, and records the call
    /// (or finds the one a retried webhook already recorded). A forwarding-check call is recognised and not recorded.
    /// </summary>
    public async Task<IncomingDecision> IncomingAsync(IncomingCall call, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var rows = await db.Database.SqlQuery<IncomingRow>($"""
            WITH target AS (
                SELECT b.id, b.name, b.language, b.fallback, b.backup_number, b.protected_number, l.number AS line,
                       -- Live: the go-live checklist (GoLiveEndpoints); the subscription part is Subscription.AnswersCallsSql.
                       (b.forwarding_verified_at IS NOT NULL AND b.scenario_version_id IS NOT NULL AND EXISTS (
                            SELECT 1 FROM subscriptions s WHERE s.business_id = b.id
                              AND (s.status = 'Active' OR (s.status = 'PastDue' AND s.grace_until > {now})))) AS live,
                       COALESCE(pending.found, false) AS check_pending, pending.provider_call_id AS pending_check_call
                FROM receptionist_lines l JOIN businesses b ON b.id = l.business_id
                LEFT JOIN LATERAL (
                    SELECT true AS found, f.provider_call_id FROM forwarding_checks f
                    WHERE f.business_id = b.id AND f.state = 'Pending' LIMIT 1) AS pending ON true
                WHERE l.number = {call.To} AND l.retired_at IS NULL
            ),
            classified AS (
                -- Our test call keeps our line as its caller id, or (some carriers) shows the forwarding number.
                -- A customer's call forwarded during the check has its own caller id and is answered as usual.
                SELECT t.*, (t.check_pending AND ({call.From} = t.line
                    OR ({call.ForwardedFrom} = t.protected_number AND {call.From} = t.protected_number))) AS is_check
                FROM target t
            ),
            inserted AS (
                INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, billable)
                SELECT {Guid.CreateVersion7()}, c.id, {call.ProviderCallId}, {call.From},
                       CASE WHEN c.live THEN 'Waiting' ELSE 'Fallback' END,
                       CASE WHEN c.live THEN NULL ELSE 'NotLive' END, {now}, false
                FROM classified c WHERE NOT c.is_check
                ON CONFLICT (provider_call_id) DO NOTHING
                RETURNING id, status
            )
            SELECT c.id AS business_id, c.name, c.language, c.fallback, c.backup_number, c.is_check, c.pending_check_call,
                   COALESCE(i.id, existing.id) AS call_id, COALESCE(i.status, existing.status) AS status
            FROM classified c
            LEFT JOIN inserted i ON true
            LEFT JOIN calls existing ON existing.provider_call_id = {call.ProviderCallId}
            """).ToListAsync(ct);

        if (rows is not [var row])
            return new IncomingDecision.UnknownLine();
        if (row.IsCheck)
        {
            await ConfirmForwardingAsync(row.BusinessId, now, ct);
            return new IncomingDecision.ForwardingConfirmed(row.PendingCheckCall);
        }
        var callId = row.CallId!.Value;
        return row.Status == nameof(CallStatus.Fallback)
            ? new IncomingDecision.Fallback(callId, row.ToPlan())
            : new IncomingDecision.Queue(callId);
    }

    async Task ConfirmForwardingAsync(Guid businessId, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE forwarding_checks SET state = 'Passed', completed_at = {now}
            WHERE business_id = {businessId} AND state = 'Pending'
            """, ct);
        await db.Set<Business>().Where(b => b.Id == businessId)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.ForwardingVerifiedAt, now), ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Asked each time the caller's ringback ends. Past the overflow time a still-waiting call leaves the queue for
    /// the fallback. The same row lock decides a claim racing this: exactly one of them changes the call.
    /// </summary>
    public async Task<bool> OverflowIfDueAsync(Guid callId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var deadline = now.AddSeconds(-options.Value.OverflowSeconds);
        var overflowed = await db.Set<Call>()
            .Where(c => c.Id == callId && c.Status == CallStatus.Waiting && c.ReceivedAt <= deadline)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallStatus.Fallback)
                .SetProperty(c => c.Outcome, CallOutcome.Overflowed), ct) == 1;
        // A caller still in the queue long after a claim was never bridged (the claiming instance died before
        // redirecting): the call waits again, so the next poll can overflow it or another operator take it.
        if (!overflowed)
            await queue.ReturnAsync(callId, Queue.PresenceState.Available, ct, claimedBefore: now - StaleClaim);
        return overflowed;
    }

    /// <summary>The operator did not pick up: the call goes back to the head of the queue, and the operator, whose
    /// phone did not ring through, is not offered the next call blindly.</summary>
    public Task<bool> ReturnToQueueAsync(Guid callId, CancellationToken ct) =>
        queue.ReturnAsync(callId, Queue.PresenceState.Offline, ct);

    /// <summary>Redirecting a claimed caller takes well under a second; a claim this old was never carried out.</summary>
    static readonly TimeSpan StaleClaim = TimeSpan.FromSeconds(15);

    /// <summary>The fallback for a call that has been sent there (overflow, or an operator leg that failed late).</summary>
    public Task<FallbackPlan?> FallbackPlanAsync(Guid callId, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId)
            .Join(db.Set<Business>(), c => c.BusinessId, b => b.Id,
                (c, b) => new FallbackPlan(b.Name, b.Language, b.Fallback, b.BackupNumber))
            .FirstOrDefaultAsync(ct);

    /// <summary>The operator a claimed call is being bridged to.</summary>
    public Task<Guid?> ClaimingOperatorAsync(Guid callId, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId && c.Status == CallStatus.Claimed)
            .Select(c => c.OperatorId).FirstOrDefaultAsync(ct);

    /// <summary>
    /// The provider reports the operator's leg connected: the wait ends now. Within the answer SLA the call is
    /// billable; later it never is. A repeated report changes nothing.
    /// </summary>
    public async Task OperatorAnsweredAsync(Guid callId, CancellationToken ct)
    {
        // PostgreSQL keeps microseconds: compare at the precision the arrival time was stored with.
        var now = clock.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var call = await db.Set<Call>()
            .FromSql($"SELECT * FROM calls WHERE id = {callId} AND answered_at IS NULL AND status = 'Claimed' FOR UPDATE")
            .FirstOrDefaultAsync(ct);
        if (call is null)
            return;
        call.Status = CallStatus.Answered;
        call.AnsweredAt = now;
        call.Billable = now - call.ReceivedAt <= TimeSpan.FromSeconds(options.Value.AnswerSlaSeconds);
        // In this transaction: the usage count locks the subscription row so simultaneous answers count in turn.
        await usage.RecordAnsweredCallAsync(db, call, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    public Task RecordVoicemailAsync(Guid callId, string recordingUrl, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RecordingUrl, recordingUrl), ct);

    /// <summary>
    /// The provider says the caller's call is over. Settles the outcome once (a repeated report changes nothing),
    /// frees the operator for wrap-up, and tells the owner about a missed call in the same transaction.
    /// </summary>
    public async Task CallEndedAsync(string providerCallId, bool providerFailed, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var call = await db.Set<Call>()
            .FromSql($"SELECT * FROM calls WHERE provider_call_id = {providerCallId} AND ended_at IS NULL FOR UPDATE")
            .FirstOrDefaultAsync(ct);
        if (call is null)
        {
            await FailForwardingCheckIfOursAsync(providerCallId, providerFailed, now, ct);
            return;
        }
        call.EndedAt = now;
        call.Outcome ??= call.Status switch
        {
            CallStatus.Answered => CallOutcome.Answered,
            _ when providerFailed => CallOutcome.Failed,
            _ => CallOutcome.Abandoned,
        };
        if (call is { Status: CallStatus.Answered, OperatorId: { } operatorId })
        {
            // A summary written during the conversation leaves no wrap-up to do.
            var summarised = await db.Set<Summaries.CallSummary>().AnyAsync(s => s.CallId == call.Id, ct);
            await Queue.OperatorPresence.SetAsync(db, operatorId,
                summarised ? Queue.PresenceState.Available : Queue.PresenceState.WrapUp, now, ct);
        }
        else if (call is { Status: CallStatus.Claimed, OperatorId: { } claimedBy })
            // The caller hung up while being put through: the operator never talked to them and is free again.
            await Queue.OperatorPresence.SetAsync(db, claimedBy, Queue.PresenceState.Available, now, ct);
        call.Status = CallStatus.Ended;
        if (call.Outcome != CallOutcome.Answered)
            await NotifyMissedCallAsync(call, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
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

    sealed record IncomingRow(
        Guid BusinessId, string Name, string Language, string Fallback, string? BackupNumber,
        bool IsCheck, string? PendingCheckCall, Guid? CallId, string? Status)
    {
        public FallbackPlan ToPlan() => new(Name, Language, Enum.Parse<FallbackMode>(Fallback), BackupNumber);
    }
}
