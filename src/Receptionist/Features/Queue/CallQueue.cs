using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Calls;

namespace Receptionist.Features.Queue;

/// <summary>A call just given to an operator.</summary>
public sealed record ClaimedCallRow(Guid Id, Guid BusinessId, string ProviderCallId, string CallerNumber, DateTimeOffset ReceivedAt);

/// <summary>The shared queue of every business's waiting calls, kept in PostgreSQL.</summary>
public sealed class CallQueue(AppDbContext db, TimeProvider clock)
{
    /// <summary>
    /// Gives an available operator the longest-waiting call, in one statement: the row lock with SKIP LOCKED means
    /// concurrent claims each get a different call, none is skipped, and an overflow of the same call cannot also win.
    /// The operator becomes busy in the same statement. Null when the operator is not available or nobody waits.
    /// </summary>
    public async Task<ClaimedCallRow?> ClaimNextAsync(Guid operatorId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var claimed = await db.Database.SqlQuery<ClaimedCallRow>($"""
            WITH me AS (
                SELECT operator_id FROM operator_presence
                WHERE operator_id = {operatorId} AND state = 'Available' FOR UPDATE
            ),
            next AS (
                SELECT c.id FROM calls c
                WHERE c.status = 'Waiting' AND EXISTS (SELECT 1 FROM me)
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

    /// <summary>The provider could not take the caller to the operator: the call waits again, the operator is free.</summary>
    public async Task ReleaseAsync(ClaimedCallRow call, Guid operatorId, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Set<Call>().Where(c => c.Id == call.Id && c.Status == CallStatus.Claimed)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallStatus.Waiting)
                .SetProperty(c => c.OperatorId, (Guid?)null).SetProperty(c => c.ClaimedAt, (DateTimeOffset?)null), ct);
        await OperatorPresence.SetAsync(db, operatorId, PresenceState.Available, clock.GetUtcNow(), ct);
        await transaction.CommitAsync(ct);
    }
}
