using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Calls;
using Receptionist.Features.Webhooks;

namespace Receptionist.Features.Blocking;

/// <summary>The business a blocked caller tried to reach, for the words they hear.</summary>
public sealed record BlockedCall(Guid CallId, Guid BusinessId, string BusinessName, string Language);

/// <summary>
/// The first thing the incoming-call webhook asks: is this caller on the dialled business's block list? One statement
/// (the line's index, then the block list's), which also records a blocked call as ended with the outcome Blocked, so it
/// is never queued, never billed and shows in the call log. A repeated delivery finds the same call and records nothing.
/// </summary>
public sealed class CallScreen(AppDbContext db, OwnerEvents events, TimeProvider clock)
{
    public async Task<BlockedCall?> BlockedAsync(IncomingCall call, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var rows = await db.Database.SqlQuery<BlockedRow>($"""
            WITH blocked AS (
                SELECT b.id, b.name, b.language
                FROM receptionist_lines l
                JOIN blocked_callers x ON x.business_id = l.business_id AND x.number = {call.From}
                                      AND (x.expires_at IS NULL OR x.expires_at > {now})
                JOIN businesses b ON b.id = l.business_id
                WHERE l.number = {call.To} AND l.retired_at IS NULL
            ),
            recorded AS (
                INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, last_seen_at,
                                   ended_at, billable, reconcile_attempts)
                SELECT {Guid.CreateVersion7()}, id, {call.ProviderCallId}, {call.From}, 'Ended', 'Blocked', {now}, {now}, {now}, false, 0
                FROM blocked
                -- A repeat finds the blocked call it recorded; a call recorded before the number was blocked goes on as it began.
                ON CONFLICT (provider_call_id) DO UPDATE SET last_seen_at = calls.last_seen_at WHERE calls.outcome = 'Blocked'
                RETURNING id, xmax = 0 AS inserted
            )
            SELECT r.id AS call_id, r.inserted, b.id AS business_id, b.name, b.language FROM blocked b JOIN recorded r ON true
            """).ToListAsync(ct);
        if (rows is not [var row])
            return null;
        if (row.Inserted)
        {
            // Owners subscribed to call.blocked hear of it once, not on every retry of the webhook.
            var blocked = await db.Set<Call>().AsNoTracking().FirstAsync(c => c.Id == row.CallId, ct);
            await events.PublishAsync(db, OwnerEventTypes.CallBlocked, row.BusinessId, new EventData(events.Describe(blocked)), ct);
            await db.SaveChangesAsync(ct);
        }
        return new BlockedCall(row.CallId, row.BusinessId, row.Name, row.Language);
    }

    sealed record BlockedRow(Guid CallId, bool Inserted, Guid BusinessId, string Name, string Language);
}
