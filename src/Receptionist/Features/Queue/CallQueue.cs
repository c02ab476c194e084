using Microsoft.EntityFrameworkCore;
using Receptionist.Data;

namespace Receptionist.Features.Queue;

/// <summary>A call just given to an operator.</summary>
public sealed record ClaimedCallRow(Guid Id, Guid BusinessId, string ProviderCallId, string CallerNumber, DateTimeOffset ReceivedAt);

/// <summary>The shared queue of every business's waiting calls, kept in PostgreSQL.</summary>
public sealed class CallQueue(AppDbContext db, TimeProvider clock, Microsoft.Extensions.Options.IOptions<Calls.CallOptions> options)
{
    /// <summary>
    /// Gives an available operator the longest-waiting call, in one statement: the row lock with SKIP LOCKED means
    /// concurrent claims each get a different call, none is skipped, and an overflow of the same call cannot also win.
    /// The operator becomes busy in the same statement. Only a caller heard from recently is taken: one whose reports
    /// stopped may be gone, and waits for reconciliation instead of blocking the queue. Null when the operator is not
    /// available or nobody waits.
    /// </summary>
    public async Task<ClaimedCallRow?> ClaimNextAsync(Guid operatorId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var heardSince = now.AddSeconds(-options.Value.CallerSilenceSeconds);
        var claimed = await db.Database.SqlQuery<ClaimedCallRow>($"""
            WITH me AS (
                SELECT operator_id FROM operator_presence
                WHERE operator_id = {operatorId} AND state = 'Available' FOR UPDATE
            ),
            next AS (
                SELECT c.id FROM calls c
                WHERE c.status = 'Waiting' AND c.last_seen_at >= {heardSince} AND EXISTS (SELECT 1 FROM me)
                ORDER BY c.received_at, c.id
                LIMIT 1 FOR UPDATE SKIP LOCKED
            ),
            claimed AS (
                UPDATE calls SET status = 'Claimed', operator_id = {operatorId}, claimed_at = {now},
                       scenario_version_id = (SELECT b.scenario_version_id FROM businesses b WHERE b.id = calls.business_id)
                FROM next WHERE calls.id = next.id
                RETURNING calls.id, calls.business_id, calls.provider_call_id, calls.caller_number, calls.received_at
            ),
            busy AS (
                UPDATE operator_presence SET state = 'Busy', updated_at = {now}
                WHERE operator_id = {operatorId} AND EXISTS (SELECT 1 FROM claimed)
            )
            SELECT id, business_id, provider_call_id, caller_number, received_at FROM claimed
            """).ToListAsync(ct);
        return claimed.SingleOrDefault();
    }

    /// <summary>
    /// Puts a claimed call back at the head of the queue (its wait keeps counting: the overflow time still applies)
    /// and sets the operator it was claimed by to <paramref name="operatorBecomes"/>. One statement, so a claim
    /// that was already answered or ended is left alone. With <paramref name="claimedBefore"/>, only a claim
    /// older than that is returned. False when no such claim was returned.
    /// </summary>
    public async Task<bool> ReturnAsync(Guid callId, PresenceState operatorBecomes, CancellationToken ct,
        DateTimeOffset? claimedBefore = null)
    {
        var cutoff = claimedBefore ?? DateTimeOffset.MaxValue;
        var returned = await db.Database.SqlQuery<Guid>($"""
            WITH returned AS (
                UPDATE calls SET status = 'Waiting', operator_id = NULL, claimed_at = NULL
                FROM (SELECT id, operator_id FROM calls WHERE id = {callId} AND status = 'Claimed' AND claimed_at <= {cutoff} FOR UPDATE) AS claimed
                WHERE calls.id = claimed.id
                RETURNING claimed.operator_id
            )
            INSERT INTO operator_presence (operator_id, state, updated_at)
            SELECT operator_id, {operatorBecomes.ToString()}, {clock.GetUtcNow()} FROM returned
            ON CONFLICT (operator_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
            RETURNING operator_id AS "Value"
            """).ToListAsync(ct);
        return returned.Count > 0;
    }
}
