using Microsoft.EntityFrameworkCore;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;
using Receptionist.Features.Outbox;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Lines;

/// <summary>A business that has paid and has no line from the pool: buy it one.</summary>
public sealed record LinePurchase(Guid BusinessId)
{
    public const string OutboxKind = "line-purchase";
}

/// <summary>
/// Numbers are bought only for paying businesses (the platform spends money only for paying customers), and off the
/// request path: a purchase is requested in the transaction that records the payment, and the outbox carries it out,
/// retrying while the provider is down. Until then the business shows it awaits its line.
/// </summary>
public static class LineProvisioning
{
    /// <summary>
    /// Requests a line for a business that has none, in the caller's transaction (its SaveChanges writes both).
    /// Nothing happens when the provider cannot sell numbers here: an admin adds lines to the pool instead.
    /// </summary>
    public static async Task RequestLineIfNoneAsync(AppDbContext db, TwilioOptions telephony, Guid businessId,
        DateTimeOffset now, CancellationToken ct)
    {
        if (!telephony.IsConfigured || await db.Set<ReceptionistLine>().AnyAsync(l => l.BusinessId == businessId, ct))
            return;
        var owner = db.Set<Business>().Where(b => b.Id == businessId).Select(b => b.OwnerId);
        var boughtForOwner = await db.Set<ReceptionistLine>()
            .Where(l => l.ProviderSid != null && db.Set<Business>().Any(b => b.Id == l.BusinessId && owner.Contains(b.OwnerId)))
            .CountAsync(ct);
        if (boughtForOwner >= MaxBoughtPerOwner)
            // An admin can still give the business a pool line; the checklist keeps showing it awaits one.
            return;
        db.Add(OutboxMessage.Create(LinePurchase.OutboxKind, new LinePurchase(businessId), now));
    }

    /// <summary>Numbers bought for one owner's businesses, however many they pay for: past this an admin decides.</summary>
    public const int MaxBoughtPerOwner = 3;

    /// <summary>The label a business's purchased number carries at the provider.</summary>
    public static string Label(Guid businessId) => $"receptionist-business-{businessId:N}";
}

/// <summary>
/// Carries out a <see cref="LinePurchase"/>. Safe to run again: a business that has a line by now gets none, and a
/// number bought by an attempt that died before recording it is found at the provider by its label, not bought twice.
/// </summary>
sealed class LinePurchaseHandler(AppDbContext db, ITelephonyProvider telephony, OwnerEmails ownerEmails, TimeProvider clock,
    ILogger<LinePurchaseHandler> logger)
    : IOutboxHandler
{
    public async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        var businessId = message.ReadPayload<LinePurchase>().BusinessId;
        // One purchase per business at a time, whichever instance runs it: the second waits, then finds the line.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({LineProvisioning.Label(businessId)}))", ct);
        var business = await db.Set<Business>().Where(b => b.Id == businessId).Select(b => new { b.ProtectedNumber }).FirstOrDefaultAsync(ct);
        if (business is null || await db.Set<ReceptionistLine>().AnyAsync(l => l.BusinessId == businessId, ct))
            return;

        var label = LineProvisioning.Label(businessId);
        var number = await telephony.FindOwnedNumberAsync(label, ct);
        if (number is null)
        {
            var region = E164.RegionOf(business.ProtectedNumber);
            var offered = await telephony.FindAvailableNumbersAsync(region, areaCode: null, ct);
            if (offered.Count == 0)
                throw new InvalidOperationException($"The provider offers no numbers for {region} right now.");
            number = await telephony.BuyNumberAsync(NumberToBuy.Exactly(offered[0]), label, ct);
        }

        var now = clock.GetUtcNow();
        db.Add(new ReceptionistLine
        {
            Number = number.Number, ProviderSid = number.ProviderId, BusinessId = businessId, AddedAt = now, AssignedAt = now,
        });
        await ownerEmails.LineAssignedAsync(db, businessId, number.Number, now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            logger.LogInformation("Bought line {Number} for business {BusinessId}", number.Number, businessId);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // A pool line reached the business first (or the number is recorded already): keep the bought one in the pool.
            await transaction.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            logger.LogWarning("Business {BusinessId} got a line while {Number} was being bought; it joins the pool", businessId, number.Number);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO receptionist_lines (id, number, provider_sid, added_at)
                VALUES ({Guid.CreateVersion7(now)}, {number.Number}, {number.ProviderId}, {now})
                ON CONFLICT DO NOTHING
                """, ct);
        }
    }
}
