using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Calls;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Billing;

/// <summary>
/// Counts answered calls against the plan's allowance. A call is billable only when the call flow marked it
/// so (answered within the answer SLA); each billable call beyond the allowance is reported to the payment
/// provider once, through the outbox.
/// </summary>
public sealed class BillingUsage(IOptions<BillingOptions> billing, OwnerEmails ownerEmails, TimeProvider clock)
{
    /// <summary>
    /// Call when <paramref name="call"/> has just been answered (AnsweredAt and Billable set, not necessarily saved).
    /// If it is billable and beyond the allowance of the period it falls in, a usage report is added to
    /// <paramref name="db"/>; the caller's SaveChanges commits it with the call. Run it inside the caller's
    /// transaction: it locks the business's subscription row, so concurrent answers are counted one after the other.
    /// </summary>
    public async Task RecordAnsweredCallAsync(AppDbContext db, Call call, CancellationToken ct)
    {
        if (!call.Billable || call.AnsweredAt is not { } answeredAt)
            return;
        var subscription = (await db.Set<Subscription>()
            .FromSql($"SELECT * FROM subscriptions WHERE business_id = {call.BusinessId} FOR UPDATE")
            .AsNoTracking().ToListAsync(ct)).SingleOrDefault();
        if (subscription is not
            {
                Status: SubscriptionStatus.Active or SubscriptionStatus.PastDue,
                ProviderCustomerId: { } customer, PlanKey: { } planKey,
                CurrentPeriodStart: { } start, CurrentPeriodEnd: { } end,
            }
            || answeredAt < start || answeredAt >= end
            || !billing.Value.Plans.TryGetValue(planKey, out var plan))
            return;

        // The call itself may or may not be saved yet: count the others, then this one.
        var position = 1 + await AnsweredIn(db, call.BusinessId, start, end)
            .CountAsync(c => c.Billable && c.Id != call.Id, ct);
        if (position > plan.IncludedCalls)
            db.Add(OutboxMessage.Create(UsageReport.OutboxKind,
                new UsageReport(customer, call.Id.ToString(), answeredAt, 1), clock.GetUtcNow()));
        await ownerEmails.UsageAlertsAsync(db, call.BusinessId, start, position, plan, clock.GetUtcNow(), ct);
    }

    /// <summary>Calls of a business answered in [start, end).</summary>
    internal static IQueryable<Call> AnsweredIn(AppDbContext db, Guid businessId, DateTimeOffset start, DateTimeOffset end) =>
        db.Set<Call>().Where(c => c.BusinessId == businessId && c.AnsweredAt >= start && c.AnsweredAt < end);
}

/// <summary>Delivers outbox usage reports to the payment provider; the call id makes a repeat harmless.</summary>
sealed class UsageReportSender(IPaymentProvider provider) : IOutboxHandler
{
    public Task DeliverAsync(OutboxMessage message, CancellationToken ct) =>
        provider.ReportUsageAsync(message.ReadPayload<UsageReport>(), ct);
}
