using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Forwarding;

public sealed class ForwardingCheckTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<(LiveBusiness Business, string TestCallSid)> StartCheckAsync()
    {
        var business = await app.NewBusinessAsync(live: false);
        var started = await business.Owner.PostAsync($"/api/businesses/{business.Id}/forwarding/check", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("pending", (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("state").GetString());
        var placed = app.Twilio.Requests.Last(r => r.Path.EndsWith("/Calls.json") && r.Form["To"] == business.ProtectedNumber);
        Assert.Equal(business.Line, placed.Form["From"]);
        var sid = await app.ScalarAsync<string>("SELECT provider_call_id FROM forwarding_checks WHERE business_id = $1", business.Id);
        return (business, sid!);
    }

    [Fact]
    public async Task TheTestCallComingBackForwardedPassesTheCheckAndIsNeverQueued()
    {
        var (business, testCall) = await StartCheckAsync();
        var forwardedSid = $"CA{Guid.NewGuid():N}";

        var response = await app.IncomingCallAsync(forwardedSid, business.Line, business.Line, forwardedFrom: business.ProtectedNumber);

        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).Root!;
        Assert.Equal("Hangup", Assert.Single(twiml.Elements()).Name.LocalName);
        Assert.Null(await app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", forwardedSid));
        Assert.Contains(app.Twilio.Requests, r => r.Path.EndsWith($"/Calls/{testCall}.json") && r.Form["Status"] == "completed");
        var check = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/forwarding/check", Ct);
        Assert.Equal("passed", check.GetProperty("state").GetString());
        Assert.True(await app.ScalarAsync<bool>("SELECT forwarding_verified_at IS NOT NULL FROM businesses WHERE id = $1", business.Id));
    }

    [Fact]
    public async Task TheReturningCallDeliveredEightTimesAtOnceAndRetriedLaterIsNeverTakenForACustomersCall()
    {
        var (business, _) = await StartCheckAsync();
        var forwardedSid = $"CA{Guid.NewGuid():N}";

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            app.IncomingCallAsync(forwardedSid, business.Line, business.Line, forwardedFrom: business.ProtectedNumber)));
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        var retried = await app.IncomingCallAsync(forwardedSid, business.Line, business.Line, forwardedFrom: business.ProtectedNumber);

        foreach (var response in responses.Append(retried))
        {
            var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).Root!;
            Assert.Equal("Hangup", Assert.Single(twiml.Elements()).Name.LocalName);
        }
        Assert.Null(await app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", forwardedSid));
        Assert.Equal(0L, await app.EmailsToAsync(business));
        var check = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/forwarding/check", Ct);
        Assert.Equal("passed", check.GetProperty("state").GetString());
    }

    [Fact]
    public async Task ACustomersCallForwardedDuringTheCheckIsAnsweredAsUsualAndDoesNotPassIt()
    {
        var (business, _) = await StartCheckAsync();
        var customerSid = $"CA{Guid.NewGuid():N}";

        var response = await app.IncomingCallAsync(customerSid, "+79165550000", business.Line, forwardedFrom: business.ProtectedNumber);

        Assert.Contains("<Say", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Fallback", await app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", customerSid));
        var check = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/forwarding/check", Ct);
        Assert.Equal("pending", check.GetProperty("state").GetString());
    }

    [Fact]
    public async Task NothingComingBackFailsTheCheckAfterTheTimeoutWithAReason()
    {
        var (business, _) = await StartCheckAsync();

        app.Clock.Advance(TimeSpan.FromSeconds(89));
        var stillPending = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/forwarding/check", Ct);
        app.Clock.Advance(TimeSpan.FromSeconds(2));
        var failed = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/forwarding/check", Ct);

        Assert.Equal("pending", stillPending.GetProperty("state").GetString());
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Contains("90 seconds", failed.GetProperty("failureReason").GetString());
        Assert.False(await app.ScalarAsync<bool>("SELECT forwarding_verified_at IS NOT NULL FROM businesses WHERE id = $1", business.Id));
    }

    [Fact]
    public async Task AProviderRefusalFailsTheCheckAtOnceWithTheProvidersReason()
    {
        var business = await app.NewBusinessAsync(live: false);
        app.Twilio.FailNext(HttpStatusCode.BadRequest, 21215, "Geographic permission required");

        var started = await business.Owner.PostAsync($"/api/businesses/{business.Id}/forwarding/check", null, Ct);

        var check = await started.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("failed", check.GetProperty("state").GetString());
        Assert.Contains("Geographic permission required", check.GetProperty("failureReason").GetString());
    }

    [Fact]
    public async Task AnotherOwnerCannotStartOrReadTheCheck()
    {
        var business = await app.NewBusinessAsync(live: false);
        var stranger = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"/api/businesses/{business.Id}/forwarding/check", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{business.Id}/forwarding/check", Ct)).StatusCode);
    }
}
