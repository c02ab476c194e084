using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Businesses;

/// <summary>An empty pool and a configured provider: lines are bought. A class of its own for an empty pool.</summary>
public sealed class LineProvisioningTests(TelephonyApp app) : IClassFixture<TelephonyApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithAnEmptyPoolALineIsBoughtWithItsWebhooksPointedAtUs()
    {
        var owner = await app.NewOwnerAsync();

        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("+74951234567", (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("lineNumber").GetString());
        Assert.Contains(app.Twilio.Requests, r => r.Method == "GET" && r.Path.EndsWith("/AvailablePhoneNumbers/RU/Local.json"));
        var bought = Assert.Single(app.Twilio.Requests, r => r.Path.EndsWith("/IncomingPhoneNumbers.json"));
        Assert.Equal($"{TelephonyApp.PublicBaseUrl}/telephony/twilio/voice", bought.Form["VoiceUrl"]);
        Assert.Equal($"{TelephonyApp.PublicBaseUrl}/telephony/twilio/status", bought.Form["StatusCallback"]);

        // The provider refusing to sell leaves the next business awaiting a line, whole and valid.
        app.Twilio.FailNext(HttpStatusCode.BadRequest, 21452, "No numbers available");
        var waiting = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        Assert.Equal(HttpStatusCode.Created, waiting.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await waiting.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("lineNumber").ValueKind);
    }
}
