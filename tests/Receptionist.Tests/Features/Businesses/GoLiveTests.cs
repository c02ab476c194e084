using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Businesses;

public sealed class GoLiveTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Dictionary<string, bool> Items(JsonElement status) =>
        status.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("key").GetString()!, i => i.GetProperty("done").GetBoolean());

    [Fact]
    public async Task TheChecklistNamesWhatIsMissingUntilEverythingHolds()
    {
        var business = await app.NewBusinessAsync(live: false);
        var status = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/status", Ct);
        Assert.False(status.GetProperty("live").GetBoolean());
        Assert.Equal(new Dictionary<string, bool>
        {
            ["profile"] = true, ["line"] = true, ["forwarding"] = false, ["scenario"] = false, ["subscription"] = false,
        }, Items(status));

        (await business.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/scenario", new { builtIn = "after-hours" }, Ct)).EnsureSuccessStatusCode();
        await app.ScalarAsync<object>("UPDATE businesses SET forwarding_verified_at = now() WHERE id = $1", business.Id);
        await app.PaySubscriptionAsync(business.Id);

        var live = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/status", Ct);
        Assert.True(live.GetProperty("live").GetBoolean());
        Assert.All(Items(live).Values, Assert.True);
    }

    [Fact]
    public async Task APastDueSubscriptionStaysLiveDuringGraceAndNotAfter()
    {
        var business = await app.NewBusinessAsync();
        var graceUntil = app.Clock.GetUtcNow().AddMinutes(10);
        await app.ScalarAsync<object>("UPDATE subscriptions SET status = 'PastDue', grace_until = $2 WHERE business_id = $1", business.Id, graceUntil);

        var during = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/status", Ct);
        var duringCall = await app.IncomingCallAsync($"CA{Guid.NewGuid():N}", "+79160001122", business.Line);
        app.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var after = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/status", Ct);
        var afterCall = await app.IncomingCallAsync($"CA{Guid.NewGuid():N}", "+79160001122", business.Line);

        Assert.True(during.GetProperty("live").GetBoolean());
        Assert.Contains("<Enqueue", await duringCall.Content.ReadAsStringAsync(Ct));
        Assert.False(after.GetProperty("live").GetBoolean());
        Assert.Contains("<Record", await afterCall.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task AnotherOwnerGets404()
    {
        var business = await app.NewBusinessAsync(live: false);
        var stranger = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{business.Id}/status", Ct)).StatusCode);
    }
}
