using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Accounts;

namespace Receptionist.Features.Lines;

/// <summary>Hands out pool lines to businesses, one line per business, safe under concurrency.</summary>
public sealed class LinePool(AppDbContext db, OwnerEmails ownerEmails, TimeProvider clock)
{
    /// <summary>Assigns the oldest free line to the business, in the caller's transaction. Null when the pool is empty.</summary>
    public async Task<string?> AssignFreeLineAsync(Guid businessId, CancellationToken ct)
    {
        var numbers = await db.Database.SqlQuery<string>($"""
            UPDATE receptionist_lines SET business_id = {businessId}, assigned_at = {clock.GetUtcNow()}
            WHERE id = (SELECT id FROM receptionist_lines
                        WHERE business_id IS NULL AND retired_at IS NULL
                        ORDER BY added_at LIMIT 1 FOR UPDATE SKIP LOCKED)
              AND NOT EXISTS (SELECT 1 FROM receptionist_lines WHERE business_id = {businessId})
            RETURNING number AS "Value"
            """).ToListAsync(ct);
        return numbers.SingleOrDefault();
    }

    /// <summary>
    /// Gives a newly added line to the business that has waited longest for one, if any, and emails its owner, in the
    /// caller's transaction.
    /// </summary>
    public async Task<Guid?> AssignToWaitingBusinessAsync(Guid lineId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var assigned = await db.Database.SqlQuery<AssignedLine>($"""
            UPDATE receptionist_lines SET business_id = waiting.id, assigned_at = {now}
            FROM (SELECT b.id FROM businesses b
                  WHERE NOT EXISTS (SELECT 1 FROM receptionist_lines l WHERE l.business_id = b.id)
                  ORDER BY b.created_at LIMIT 1 FOR UPDATE OF b SKIP LOCKED) AS waiting
            WHERE receptionist_lines.id = {lineId} AND receptionist_lines.business_id IS NULL
            RETURNING waiting.id AS business_id, receptionist_lines.number
            """).ToListAsync(ct);
        if (assigned is not [var line])
            return null;
        await ownerEmails.LineAssignedAsync(db, line.BusinessId, line.Number, now, ct);
        await db.SaveChangesAsync(ct);
        return line.BusinessId;
    }

    sealed record AssignedLine(Guid BusinessId, string Number);
}
