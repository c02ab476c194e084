using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Billing;
using Receptionist.Features.Businesses;
using Receptionist.Features.Email;
using Receptionist.Features.Lines;
using Receptionist.Features.Outbox;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Accounts;

/// <summary>What every email to a business's owner may use: its name and its clock.</summary>
public sealed record OwnerEmailContext(string BusinessName, string TimeZone)
{
    /// <summary>A moment as the business's wall clock shows it (emails state dates the way the owner lives them).</summary>
    public DateTime Local(DateTimeOffset moment) => TimeZoneInfo.ConvertTimeBySystemTimeZoneId(moment, TimeZone).DateTime;
}

/// <summary>
/// Emails to the owner of a business about its state (line assigned, forwarding checked, live, payment, usage), each
/// sent at most once per notice key however often the step that causes it runs. The email goes through the outbox in
/// the caller's transaction, to the owner's account address.
/// </summary>
public sealed class OwnerEmails(EmailTemplates templates, IOptions<AppOptions> app)
{
    /// <summary>The owner's pages (the front door is at /).</summary>
    public const string CabinetPath = "/owner/";

    /// <summary>A place in the owner's pages, for the email's link.</summary>
    public string CabinetUrl(Guid businessId, string section) => app.Value.Url($"{CabinetPath}?business={businessId}#{section}").AbsoluteUri;

    /// <summary>
    /// Records <paramref name="noticeKey"/> for the business and, the first time only, adds the email rendered from
    /// <paramref name="template"/> to <paramref name="db"/>: the caller's SaveChanges writes it, inside the transaction
    /// the caller must hold (so the notice and its email commit together or not at all). True when it was added.
    /// </summary>
    public async Task<bool> SendOnceAsync(AppDbContext db, Guid businessId, string noticeKey, string template,
        Func<OwnerEmailContext, object> model, DateTimeOffset now, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("An owner email is recorded in the transaction of the change it reports; begin one first.");
        var first = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO owner_notices (business_id, key, sent_at) VALUES ({businessId}, {noticeKey}, {now})
            ON CONFLICT DO NOTHING
            """, ct);
        if (first == 0)
            return false;
        var owner = await (
            from business in db.Set<Business>()
            where business.Id == businessId
            join user in db.Users on business.OwnerId equals user.Id
            select new { business.Name, business.TimeZone, user.Email }).SingleAsync(ct);
        var content = templates.Render(template, model(new OwnerEmailContext(owner.Name, owner.TimeZone)));
        db.Add(OutboxMessage.Email(EmailMessage.Create([owner.Email!], content), now));
        return true;
    }

    /// <summary>A line reached a business that was waiting for one: its forwarding can be set up now.</summary>
    public Task LineAssignedAsync(AppDbContext db, Guid businessId, string lineNumber, DateTimeOffset now, CancellationToken ct) =>
        SendOnceAsync(db, businessId, $"line:{lineNumber}", "line-assigned", owner => new
        {
            business_name = owner.BusinessName, line_number = lineNumber, forwarding_url = CabinetUrl(businessId, "forwarding"),
        }, now, ct);

    /// <summary>The outcome of forwarding check <paramref name="checkId"/>; a failure says what to do next.</summary>
    public Task ForwardingCheckedAsync(AppDbContext db, Guid businessId, Guid checkId, bool passed, bool timedOut,
        string? providerMessage, DateTimeOffset now, CancellationToken ct) =>
        SendOnceAsync(db, businessId, $"forwarding-check:{checkId}", passed ? "forwarding-verified" : "forwarding-failed", owner => new
        {
            business_name = owner.BusinessName, timed_out = timedOut, provider_message = providerMessage,
            forwarding_url = CabinetUrl(businessId, "forwarding"), status_url = CabinetUrl(businessId, "status"),
        }, now, ct);

    /// <summary>"You are live", the first time every step of the checklist is done (the same rule as the call flow's).</summary>
    public async Task AnnounceIfLiveAsync(AppDbContext db, Guid businessId, DateTimeOffset now, CancellationToken ct)
    {
        var line = await db.Set<Business>()
            .Where(b => b.Id == businessId && b.ForwardingVerifiedAt != null && b.ScenarioVersionId != null
                        && db.Set<Subscription>().Where(s => s.BusinessId == b.Id).Any(Subscription.AnswersCallsAt(now)))
            .Select(b => db.Set<ReceptionistLine>().Where(l => l.BusinessId == b.Id && l.RetiredAt == null).Select(l => l.Number).FirstOrDefault())
            .FirstOrDefaultAsync(ct);
        if (line is null)
            return;
        await SendOnceAsync(db, businessId, "live", "business-live", owner => new
        {
            business_name = owner.BusinessName, line_number = line, calls_url = CabinetUrl(businessId, "calls"),
        }, now, ct);
    }

    /// <summary>A payment failed: calls are answered until <paramref name="graceUntil"/>, then go to the fallback.</summary>
    public Task PaymentFailedAsync(AppDbContext db, Guid businessId, DateTimeOffset graceUntil, DateTimeOffset now, CancellationToken ct) =>
        // By the second: the grace date read back from the database has lost the ticks it was computed with.
        SendOnceAsync(db, businessId, $"payment-failed:{graceUntil.ToUnixTimeSeconds()}", "payment-failed", owner => new
        {
            business_name = owner.BusinessName, grace_until = owner.Local(graceUntil), billing_url = CabinetUrl(businessId, "billing"),
        }, now, ct);

    public Task SubscriptionEndedAsync(AppDbContext db, Guid businessId, string subscriptionId, DateTimeOffset now, CancellationToken ct) =>
        SendOnceAsync(db, businessId, $"subscription-ended:{subscriptionId}", "subscription-ended", owner => new
        {
            business_name = owner.BusinessName, billing_url = CabinetUrl(businessId, "billing"),
        }, now, ct);

    /// <summary>Share of the included calls at which the owner is warned, each once per billing period.</summary>
    public static readonly int[] UsageAlertPercents = [80, 100];

    /// <summary>
    /// After the <paramref name="used"/>-th billable call of the period that started at <paramref name="periodStart"/>:
    /// the alerts whose threshold has been reached and not yet sent this period.
    /// </summary>
    public async Task UsageAlertsAsync(AppDbContext db, Guid businessId, DateTimeOffset periodStart, int used, PlanOptions plan,
        DateTimeOffset now, CancellationToken ct)
    {
        foreach (var percent in UsageAlertPercents)
        {
            // 80 % of 50 calls is the 40th; of 2 calls, the 2nd (rounded up: never before the share is reached).
            if (plan.IncludedCalls <= 0 || used < Math.Ceiling(plan.IncludedCalls * percent / 100.0))
                continue;
            await SendOnceAsync(db, businessId, $"usage-{percent}:{periodStart:O}", "usage-alert", owner => new
            {
                business_name = owner.BusinessName, percent, used, included = plan.IncludedCalls, plan_name = plan.Name,
                overage_rub = plan.OverageRub, billing_url = CabinetUrl(businessId, "billing"),
            }, now, ct);
        }
    }
}
