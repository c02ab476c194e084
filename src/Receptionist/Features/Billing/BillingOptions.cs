using System.ComponentModel.DataAnnotations;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Billing;

/// <summary>One plan of the catalogue (section <c>Billing:Plans:{key}</c>).</summary>
public sealed class PlanOptions
{
    [Required, StringLength(60)]
    public string Name { get; set; } = "";

    /// <summary>The name on English pages (one language at a time); the Russian name when unset.</summary>
    [StringLength(60)]
    public string? NameEn { get; set; }

    /// <summary>The name in the language of the request (Accept-Language).</summary>
    public string NameForRequest => ProblemLocalization.IsRussian ? Name : NameEn ?? Name;

    /// <summary>The monthly price in whole rubles.</summary>
    [Range(1, 1_000_000)]
    public int PriceRub { get; set; }

    /// <summary>Answered (billable) calls a billing period includes; each further one is reported as usage.</summary>
    [Range(0, 100_000)]
    public int IncludedCalls { get; set; }

    /// <summary>The price of one call beyond the allowance, for display; Stripe charges the overage price.</summary>
    [Range(0, 100_000)]
    public int OverageRub { get; set; }

    /// <summary>The recurring monthly RUB price in Stripe.</summary>
    [Required]
    public string StripePriceId { get; set; } = "";

    /// <summary>The metered RUB price tied to the meter named by <see cref="BillingOptions.MeterEventName"/>.</summary>
    [Required]
    public string StripeOveragePriceId { get; set; } = "";
}

/// <summary>Section <c>Billing</c>: the plan catalogue, the usage meter and the grace after a failed payment.</summary>
public sealed class BillingOptions : IValidatableObject
{
    /// <summary>Plans by key (the key is what clients send and what a subscription stores).</summary>
    public Dictionary<string, PlanOptions> Plans { get; set; } = [];

    /// <summary>The event name of the Stripe Billing meter that overage calls are reported to.</summary>
    [Required, RegularExpression("^[a-z0-9_]{1,100}$")]
    public string MeterEventName { get; set; } = "receptionist_overage_calls";

    /// <summary>Days after a failed payment during which calls are still answered.</summary>
    [Range(0, 60)]
    public int GraceDays { get; set; } = 3;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Plans.Count == 0)
            yield return new ValidationResult("Configure at least one plan under Billing:Plans.", [nameof(Plans)]);
        foreach (var (key, plan) in Plans)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(plan, new ValidationContext(plan), results, validateAllProperties: true);
            foreach (var result in results)
                yield return new ValidationResult($"Billing:Plans:{key}: {result.ErrorMessage}",
                    [.. result.MemberNames.Select(m => $"{nameof(Plans)}:{key}:{m}")]);
        }
        foreach (var shared in Plans.Values.SelectMany(p => new[] { p.StripePriceId, p.StripeOveragePriceId })
                     .Where(id => id.Length > 0).GroupBy(id => id).Where(g => g.Count() > 1))
            yield return new ValidationResult(
                $"Stripe price '{shared.Key}' is used twice: a price must name exactly one plan.", [nameof(Plans)]);
    }

    /// <summary>The plans, cheapest first.</summary>
    public IEnumerable<(string Key, PlanOptions Plan)> Catalogue =>
        Plans.OrderBy(p => p.Value.PriceRub).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value));

    /// <summary>The plan whose monthly price is <paramref name="priceId"/>, if any.</summary>
    public string? PlanKeyForPrice(string priceId) =>
        Plans.FirstOrDefault(p => p.Value.StripePriceId == priceId).Key;
}

/// <summary>Section <c>Stripe</c>. Without a secret key (development) payments are off; without a webhook secret every webhook is refused.</summary>
public sealed class StripeOptions
{
    public string? SecretKey { get; set; }

    /// <summary>The signing secret of the webhook endpoint (whsec_…).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>The REST base; tests point it at a loopback server.</summary>
    [Required, Url]
    public string ApiBaseUrl { get; set; } = "https://api.stripe.com";
}
