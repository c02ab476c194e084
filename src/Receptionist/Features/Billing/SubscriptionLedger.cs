using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Billing;

/// <summary>
/// Keeps each business's subscription row in step with the provider, whichever provider told us.
/// Events may come late and out of order: each applies the provider's current view of the subscription,
/// and an event older than the newest one applied changes nothing.
/// </summary>
public sealed class SubscriptionLedger(IOptions<BillingOptions> billing, IOptions<Telephony.TwilioOptions> telephony,
    OwnerEmails ownerEmails, TimeProvider clock, ILogger<SubscriptionLedger> logger)
{
    /// <summary>
    /// Applies <paramref name="current"/> (read from the provider after an event created at <paramref name="eventAt"/>)
    /// to its business's row and saves. Run it inside a transaction: it locks the row until that commits.
    /// </summary>
    /// <param name="businessHint">The business the event named, if the subscription itself does not carry it.</param>
    public async Task ApplyAsync(AppDbContext db, ProviderSubscription current, Guid? businessHint,
        DateTimeOffset eventAt, CancellationToken ct)
    {
        var businessId = current.BusinessId ?? businessHint ?? await db.Set<Subscription>()
            .Where(s => s.ProviderSubscriptionId == current.Id).Select(s => (Guid?)s.BusinessId).FirstOrDefaultAsync(ct);
        if (businessId is null || !await db.Set<Business>().AnyAsync(b => b.Id == businessId, ct))
        {
            logger.LogWarning("Subscription {SubscriptionId} names no known business; ignored", current.Id);
            return;
        }

        var now = clock.GetUtcNow();
        // Two events of one business may be handled at once: create the row if needed, then serialize on its lock.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO subscriptions (id, business_id, status, updated_at)
            VALUES ({Guid.CreateVersion7(now)}, {businessId.Value}, {nameof(SubscriptionStatus.None)}, {now})
            ON CONFLICT (business_id) DO NOTHING
            """, ct);
        var row = (await db.Set<Subscription>()
            .FromSql($"SELECT * FROM subscriptions WHERE business_id = {businessId.Value} FOR UPDATE").ToListAsync(ct)).Single();

        if (row.ProviderEventAt > eventAt)
        {
            logger.LogInformation("Stale event for subscription {SubscriptionId} ignored", current.Id);
            return;
        }
        var answering = row.Status is SubscriptionStatus.Active or SubscriptionStatus.PastDue;
        if (answering && row.ProviderSubscriptionId != current.Id && current.Status is not (SubscriptionStatus.Active or SubscriptionStatus.PastDue))
        {
            // The end of an earlier subscription does not end the one that replaced it.
            logger.LogInformation("Subscription {Old} ended; business {BusinessId} keeps {Current}", current.Id, businessId, row.ProviderSubscriptionId);
            return;
        }

        row.ProviderSubscriptionId = current.Id;
        row.ProviderCustomerId = current.CustomerId;
        row.PlanKey = current.PlanKey ?? row.PlanKey;
        row.CurrentPeriodStart = current.PeriodStart ?? row.CurrentPeriodStart;
        row.CurrentPeriodEnd = current.PeriodEnd ?? row.CurrentPeriodEnd;
        // Grace starts with the first failed payment and is not extended by the provider's later retries.
        row.GraceUntil = current.Status == SubscriptionStatus.PastDue
            ? row.GraceUntil ?? now.AddDays(billing.Value.GraceDays)
            : null;
        if (row.Status != current.Status)
            logger.LogInformation("Business {BusinessId} subscription {Old} -> {New}", businessId, row.Status, current.Status);
        var paidNow = current.Status == SubscriptionStatus.Active && row.Status != SubscriptionStatus.Active;
        var endedNow = current.Status == SubscriptionStatus.Canceled && row.Status is SubscriptionStatus.Active or SubscriptionStatus.PastDue;
        row.Status = current.Status;
        row.ProviderEventAt = eventAt;
        row.UpdatedAt = now;
        // Saved before the owner emails: whether the business is live now is read from this row.
        await db.SaveChangesAsync(ct);
        // Paid: a business with no line from the pool gets one bought, in this same transaction's outbox.
        if (paidNow)
        {
            await Lines.LineProvisioning.RequestLineIfNoneAsync(db, telephony.Value, businessId.Value, now, ct);
            await ownerEmails.AnnounceIfLiveAsync(db, businessId.Value, now, ct);
        }
        // The owner hears of each change that will stop their calls being answered, once (by its grace date, by subscription).
        if (row is { Status: SubscriptionStatus.PastDue, GraceUntil: { } graceUntil })
            await ownerEmails.PaymentFailedAsync(db, businessId.Value, graceUntil, now, ct);
        if (endedNow)
            await ownerEmails.SubscriptionEndedAsync(db, businessId.Value, current.Id, now, ct);
        await db.SaveChangesAsync(ct);
    }
}
