using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Businesses;

/// <summary>A class of its own, so its database starts with an empty line pool.</summary>
public sealed class LinePoolTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BusinessesWithoutAFreeLineWaitAndGetNewLinesOldestFirst()
    {
        var owner = await app.NewOwnerAsync();
        async Task<Guid> CreateAsync()
        {
            var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(JsonValueKind.Null, body.GetProperty("lineNumber").ValueKind);
            return body.GetProperty("id").GetGuid();
        }
        var first = await CreateAsync();
        var second = await CreateAsync();
        await (await owner.GetAsync($"/api/businesses/{first}/forwarding", Ct)).AssertProblemAsync(HttpStatusCode.Conflict);

        var line1 = await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-00-01");
        var line2 = await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-00-02");
        var line3 = await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-00-03");

        Assert.Equal(first, line1.GetProperty("businessId").GetGuid());
        Assert.Equal(second, line2.GetProperty("businessId").GetGuid());
        Assert.Equal(JsonValueKind.Null, line3.GetProperty("businessId").ValueKind);
        Assert.Equal("+74950000002", (await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{second}", Ct))
            .GetProperty("lineNumber").GetString());
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/api/businesses/{first}/forwarding", Ct)).StatusCode);
    }
}
