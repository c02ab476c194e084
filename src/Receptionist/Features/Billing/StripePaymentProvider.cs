using System.Globalization;
using Microsoft.Extensions.Options;
using Stripe;

namespace Receptionist.Features.Billing;

/// <summary>Stripe through Stripe.net: Checkout in subscription mode (RUB), the customer portal, Billing meter events.</summary>
public sealed class StripePaymentProvider(
    IHttpClientFactory httpClients, IOptions<StripeOptions> stripe, IOptions<BillingOptions> billing) : IPaymentProvider
{
    public const string HttpClientName = "Stripe";
    /// <summary>Metadata key carrying our business id on sessions and subscriptions.</summary>
    public const string BusinessIdKey = "business_id";

    StripeClient? client;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(stripe.Value.SecretKey);

    // Stripe.net retries transient failures itself, with idempotency keys on POSTs, so the HttpClient
    // from the factory carries no resilience handler of its own (that would multiply the attempts).
    StripeClient Client => client ??= IsConfigured
        ? new StripeClient(
            apiKey: stripe.Value.SecretKey,
            httpClient: new SystemNetHttpClient(httpClients.CreateClient(HttpClientName), enableTelemetry: false),
            apiBase: stripe.Value.ApiBaseUrl.TrimEnd('/'))
        : throw new PaymentProviderException("Stripe is not configured: set Stripe__SecretKey.");

    public async Task<Uri> StartCheckoutAsync(CheckoutOrder order, CancellationToken ct)
    {
        var plan = billing.Value.Plans[order.PlanKey];
        var metadata = new Dictionary<string, string> { [BusinessIdKey] = order.BusinessId.ToString() };
        var options = new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription",
            Currency = "rub",
            ClientReferenceId = order.BusinessId.ToString(),
            Customer = order.CustomerId,
            Locale = order.Language.StartsWith("ru", StringComparison.OrdinalIgnoreCase) ? "ru" : "en",
            LineItems =
            [
                new() { Price = plan.StripePriceId, Quantity = 1 },
                // Metered: no quantity, Stripe bills what the meter collected.
                new() { Price = plan.StripeOveragePriceId },
            ],
            Metadata = metadata,
            // Subscription events carry this, so they find the business even before checkout.session.completed.
            SubscriptionData = new() { Metadata = new(metadata) },
            SuccessUrl = order.SuccessUrl.AbsoluteUri,
            CancelUrl = order.CancelUrl.AbsoluteUri,
        };
        var session = await Call(() => Client.V1.Checkout.Sessions.CreateAsync(options, cancellationToken: ct));
        return new Uri(session.Url);
    }

    public async Task<Uri> OpenCustomerPortalAsync(string customerId, Uri returnUrl, CancellationToken ct)
    {
        var options = new Stripe.BillingPortal.SessionCreateOptions { Customer = customerId, ReturnUrl = returnUrl.AbsoluteUri };
        var session = await Call(() => Client.V1.BillingPortal.Sessions.CreateAsync(options, cancellationToken: ct));
        return new Uri(session.Url);
    }

    public async Task<ProviderSubscription> GetSubscriptionAsync(string subscriptionId, CancellationToken ct)
    {
        var subscription = await Call(() => Client.V1.Subscriptions.GetAsync(subscriptionId, cancellationToken: ct));
        return ToProviderSubscription(subscription);
    }

    public Task ReportUsageAsync(UsageReport report, CancellationToken ct)
    {
        var options = new Stripe.Billing.MeterEventCreateOptions
        {
            EventName = billing.Value.MeterEventName,
            // Stripe drops a second meter event with the same identifier.
            Identifier = report.Identifier,
            Timestamp = report.At.UtcDateTime,
            Payload = new()
            {
                ["stripe_customer_id"] = report.CustomerId,
                ["value"] = report.Quantity.ToString(CultureInfo.InvariantCulture),
            },
        };
        var request = new RequestOptions { IdempotencyKey = $"usage-{report.Identifier}" };
        return Call(() => Client.V1.Billing.MeterEvents.CreateAsync(options, request, ct));
    }

    ProviderSubscription ToProviderSubscription(Stripe.Subscription subscription)
    {
        // The plan is the item with a plan's monthly price; its period is the billing period (the overage item shares it).
        var planItem = subscription.Items?.Data
            .Select(item => (Item: item, Plan: item.Price?.Id is { } price ? billing.Value.PlanKeyForPrice(price) : null))
            .FirstOrDefault(x => x.Plan is not null);
        var businessId = subscription.Metadata?.GetValueOrDefault(BusinessIdKey) is { } text && Guid.TryParse(text, out var id)
            ? id : (Guid?)null;
        return new ProviderSubscription(
            subscription.Id,
            subscription.CustomerId,
            businessId,
            ToStatus(subscription.Status),
            planItem?.Plan,
            planItem?.Item is { } item ? Utc(item.CurrentPeriodStart) : null,
            planItem?.Item is { } end ? Utc(end.CurrentPeriodEnd) : null);
    }

    // Stripe's statuses: https://docs.stripe.com/api/subscriptions/object#subscription_object-status
    static SubscriptionStatus ToStatus(string status) => status switch
    {
        "active" or "trialing" => SubscriptionStatus.Active,
        // Unpaid: retries are exhausted; the grace that started with the first failure decides.
        "past_due" or "unpaid" => SubscriptionStatus.PastDue,
        "canceled" or "incomplete_expired" or "paused" => SubscriptionStatus.Canceled,
        _ => SubscriptionStatus.None, // incomplete: the first payment has not succeeded yet
    };

    static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    static async Task<T> Call<T>(Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (StripeException e)
        {
            throw new PaymentProviderException(
                $"Stripe refused the request ({(int)e.HttpStatusCode} {e.StripeError?.Type ?? "error"}): {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new PaymentProviderException($"Stripe could not be reached: {e.Message}", e);
        }
    }
}
