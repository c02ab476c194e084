namespace Receptionist.Features.Billing;

/// <summary>
/// What billing needs from a payment provider. Stripe is the one implementation today; a provider that
/// serves Russian cards would be a second one, without changes to the subscription or call logic.
/// Failures the provider reports come out as <see cref="PaymentProviderException"/>.
/// </summary>
public interface IPaymentProvider
{
    /// <summary>False when the provider has no credentials (development): nothing can be bought.</summary>
    bool IsConfigured { get; }

    /// <summary>A hosted page where the owner pays for <see cref="CheckoutOrder.PlanKey"/>; returns its URL.</summary>
    Task<Uri> StartCheckoutAsync(CheckoutOrder order, CancellationToken ct);

    /// <summary>A hosted page where the customer changes the card or cancels; returns its URL.</summary>
    Task<Uri> OpenCustomerPortalAsync(string customerId, Uri returnUrl, CancellationToken ct);

    /// <summary>The subscription as the provider holds it now.</summary>
    Task<ProviderSubscription> GetSubscriptionAsync(string subscriptionId, CancellationToken ct);

    /// <summary>Reports usage beyond the allowance. Repeating a report with the same identifier charges once.</summary>
    Task ReportUsageAsync(UsageReport report, CancellationToken ct);
}

/// <param name="CustomerId">The provider's customer from an earlier subscription, reused so the owner keeps one customer.</param>
/// <param name="Language">The business's language (e.g. ru-RU), for the payment page.</param>
public sealed record CheckoutOrder(
    Guid BusinessId, string PlanKey, string? CustomerId, string Language, Uri SuccessUrl, Uri CancelUrl);

/// <param name="BusinessId">The business the subscription was bought for, when the provider carries it.</param>
/// <param name="PlanKey">The plan whose price the subscription holds; null if no configured plan matches.</param>
public sealed record ProviderSubscription(
    string Id,
    string CustomerId,
    Guid? BusinessId,
    SubscriptionStatus Status,
    string? PlanKey,
    DateTimeOffset? PeriodStart,
    DateTimeOffset? PeriodEnd);

/// <summary>Usage to charge (an outbox payload): <paramref name="Identifier"/> is the call id, so a repeat is charged once.</summary>
public sealed record UsageReport(string CustomerId, string Identifier, DateTimeOffset At, int Quantity)
{
    public const string OutboxKind = "billing.usage";
}

public sealed class PaymentProviderException(string message, Exception? inner = null) : Exception(message, inner);
