using System.Net;
using System.Text.Json.Nodes;
using Receptionist.Tests.Features.Billing;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>Signed Stripe deliveries that can never be applied are acknowledged (and logged), not failed on every retry.</summary>
public sealed class StripeHardeningTests(BillingApp app) : IClassFixture<BillingApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnEventAboutASubscriptionStripeDoesNotKnowIsAcknowledgedOnceAndChangesNothing()
    {
        var id = "evt_" + Guid.NewGuid().ToString("N");
        var unknown = new JsonObject { ["id"] = "sub_" + Guid.NewGuid().ToString("N"), ["object"] = "subscription", ["status"] = "active" };

        var first = await app.PostEventAsync("customer.subscription.updated", unknown, id: id);
        var retry = await app.PostEventAsync("customer.subscription.updated", (JsonObject)unknown.DeepClone(), id: id);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM stripe_events WHERE id = $1", id));
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM subscriptions WHERE provider_subscription_id = $1", unknown["id"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"object": "event", "data": 5}""")]
    [InlineData("""{"id": null, "object": "event", "type": null}""")]
    public async Task ASignedPayloadThatIsNoReadableEventIsAcknowledgedNotAServerError(string payload)
    {
        var response = await app.PostSignedAsync(payload, DateTimeOffset.UtcNow);

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest,
            $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }
}
