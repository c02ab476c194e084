using Receptionist.Tests.Features.Billing;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// The far ends an owner's account reaches: a real SMTP server for its emails and the Stripe fake for its payments,
/// started before the service and stopped after it, with the settings that point the service at them.
/// </summary>
public sealed class OwnerFarEnds : IAsyncDisposable
{
    public SmtpServer Smtp { get; } = new();
    public FakeStripeApi Stripe { get; } = new();

    public async Task StartAsync()
    {
        await Smtp.InitializeAsync();
        await Stripe.StartAsync();
    }

    public IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. Smtp.AppSettings(),
        new("Stripe:SecretKey", BillingApp.SecretKey),
        new("Stripe:WebhookSecret", BillingApp.WebhookSecret),
        new("Stripe:ApiBaseUrl", Stripe.BaseUrl),
    ];

    public async ValueTask DisposeAsync()
    {
        await Stripe.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
