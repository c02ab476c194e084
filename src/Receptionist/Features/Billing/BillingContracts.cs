namespace Receptionist.Features.Billing;

/// <summary>A plan of the catalogue; prices in whole rubles a month.</summary>
public sealed record PlanResponse(string Key, string Name, int PriceRub, int IncludedCalls, int OverageRub, string Currency);

public sealed record CheckoutRequest(string? Plan);

/// <summary>A hosted payment page to send the owner to.</summary>
public sealed record BillingRedirect(string Url);

/// <param name="Status">none, active, pastDue or canceled.</param>
/// <param name="GraceUntil">While past due: calls are answered until then.</param>
/// <param name="CallsAnswered">Whether calls to the business are answered now (otherwise they go to the fallback).</param>
/// <param name="CallsUsed">Billable answered calls in the current period.</param>
/// <param name="CallsNotBilledSla">Answered calls in the period that waited longer than the answer SLA: never billed.</param>
/// <param name="CallsNotBilledSpam">Answered calls in the period the operator marked as spam, within the fair-use allowance: not billed.</param>
/// <param name="OverageCalls">Billable calls beyond the plan's allowance so far, each charged at the overage price.</param>
/// <param name="CanManage">A customer exists at the payment provider, so the portal can be opened.</param>
public sealed record BillingSummary(
    PlanResponse? Plan,
    SubscriptionStatus Status,
    DateTimeOffset? GraceUntil,
    bool CallsAnswered,
    DateTimeOffset? PeriodStart,
    DateTimeOffset? PeriodEnd,
    int CallsUsed,
    int CallsNotBilledSla,
    int CallsNotBilledSpam,
    int OverageCalls,
    int OverageRub,
    bool CanManage);
