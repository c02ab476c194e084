using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Billing;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Blocking;

/// <summary>
/// Calls the operator summarised as spam are not billed, up to a fair-use allowance per billing period
/// (<see cref="BlockingOptions.SpamAllowancePercent"/> of the plan's included calls); past it they are billed and the
/// owner is told once per period. Runs in the summary's transaction, on the call's row lock.
/// </summary>
public sealed class SpamBilling(IOptions<BlockingOptions> blocking, IOptions<BillingOptions> billing, EmailTemplates templates,
    TimeProvider clock)
{
    /// <summary>The scenario outcome key operators choose for spam in every built-in scenario.</summary>
    public const string SpamOutcome = "spam";

    public async Task MarkAsync(AppDbContext db, Call call, Business business, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // A call that was not billable anyway (answered past the SLA) needs no allowance.
        if (!call.Billable || call.AnsweredAt is not { } answeredAt)
            return;
        // Locked as BillingUsage locks it, so simultaneous spam marks of one business count in turn.
        var subscription = (await db.Set<Subscription>()
            .FromSql($"SELECT * FROM subscriptions WHERE business_id = {call.BusinessId} FOR UPDATE")
            .AsNoTracking().ToListAsync(ct)).SingleOrDefault();
        if (subscription is not { PlanKey: { } planKey, CurrentPeriodStart: { } start, CurrentPeriodEnd: { } end }
            || answeredAt < start || answeredAt >= end || !billing.Value.Plans.TryGetValue(planKey, out var plan))
            return;

        var allowance = plan.IncludedCalls * blocking.Value.SpamAllowancePercent / 100;
        var marks = await MarksIn(db, call.BusinessId, start, end)
            .GroupBy(m => m.Billed).Select(g => new { Billed = g.Key, Count = g.Count() }).ToListAsync(ct);
        var unbilled = marks.FirstOrDefault(m => !m.Billed)?.Count ?? 0;
        var billed = marks.FirstOrDefault(m => m.Billed)?.Count ?? 0;
        var withinAllowance = unbilled < allowance;
        db.Add(new SpamMark { CallId = call.Id, BusinessId = call.BusinessId, Billed = !withinAllowance, MarkedAt = now });
        if (withinAllowance)
        {
            call.Billable = false;
            // An overage report for this call still waiting in the outbox is withdrawn; one already delivered stays billed.
            await db.Database.ExecuteSqlAsync($"""
                DELETE FROM outbox_messages
                WHERE kind = {UsageReport.OutboxKind} AND delivered_at IS NULL AND payload->>'identifier' = {call.Id.ToString()}
                """, ct);
        }
        else if (billed == 0 && business.SummaryEmails.Count > 0)
        {
            var email = templates.Render("spam-allowance", new
            {
                BusinessName = business.Name,
                Allowance = allowance,
                PeriodEnd = business.LocalTime(end),
                English = business.Language.StartsWith("en", StringComparison.Ordinal),
            });
            db.Add(OutboxMessage.Email(EmailMessage.Create(business.SummaryEmails, email), now));
        }
    }

    /// <summary>Spam marks of the calls a business answered in [start, end).</summary>
    public static IQueryable<SpamMark> MarksIn(AppDbContext db, Guid businessId, DateTimeOffset start, DateTimeOffset end) =>
        BillingUsage.AnsweredIn(db, businessId, start, end).Join(db.Set<SpamMark>(), c => c.Id, m => m.CallId, (c, m) => m);
}
