using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Businesses;

public sealed class LinesAndForwardingTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonElement> AddLineAsync(ReceptionistApp app, string number)
    {
        var admin = await app.AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/admin/lines", new { number }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task ANewBusinessGetsAFreeLineAndItsForwardingCodes()
    {
        await AddLineAsync(app, "+7 495 000-00-10");
        var owner = await app.NewOwnerAsync();
        var business = await (await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);
        var line = business.GetProperty("lineNumber").GetString();
        Assert.NotNull(line);

        var forwarding = await owner.GetFromJsonAsync<JsonElement>(
            $"/api/businesses/{business.GetProperty("id").GetGuid()}/forwarding?noAnswerSeconds=15", Ct);

        var codes = forwarding.GetProperty("mobile").EnumerateArray().ToDictionary(
            c => c.GetProperty("kind").GetString()!, c => (c.GetProperty("activate").GetString(), c.GetProperty("cancel").GetString()));
        Assert.Equal(($"**21*{line}#", "##21#"), codes["unconditional"]);
        Assert.Equal(($"**61*{line}**15#", "##61#"), codes["noAnswer"]);
        Assert.Equal(($"**67*{line}#", "##67#"), codes["busy"]);
        Assert.Equal(($"**62*{line}#", "##62#"), codes["unreachable"]);
        Assert.Equal(($"**004*{line}#", "##004#"), codes["allConditional"]);
        Assert.Contains($"**61*{line}**15#", forwarding.GetProperty("recommended").GetProperty("dial").EnumerateArray().Select(d => d.GetString()));
        var providers = forwarding.GetProperty("cloudPbx").EnumerateArray().Select(p => p.GetProperty("provider").GetString()).ToList();
        Assert.Equal(["mango", "telfin", "beeline", "generic"], providers);
        Assert.Contains("Рекомендуем", forwarding.GetProperty("recommended").GetProperty("title").GetString());
    }

    [Fact]
    public async Task ForwardingInstructionsComeInTheBusinesssLanguage()
    {
        await AddLineAsync(app, "+7 495 000-00-30");
        var owner = await app.NewOwnerAsync();
        var business = await (await owner.PostAsJsonAsync("/api/businesses",
                BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber(), language: "en-US"), Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);

        var forwarding = await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.GetProperty("id").GetGuid()}/forwarding", Ct);

        Assert.StartsWith("Recommended", forwarding.GetProperty("recommended").GetProperty("title").GetString());
        Assert.Equal("All calls, always", forwarding.GetProperty("mobile")[0].GetProperty("title").GetString());
        Assert.Contains("**61*", forwarding.GetProperty("recommended").GetProperty("dial")[0].GetString());
        Assert.Contains("**20#", forwarding.GetProperty("recommended").GetProperty("dial")[0].GetString());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(31)]
    public async Task NoAnswerDelayOutsideFiveToThirtySecondsIsRefused(int seconds)
    {
        // Every business in this class gets a line at once, so none waits and takes another test's line.
        await AddLineAsync(app, $"+7 495 000-01-{seconds:00}");
        var owner = await app.NewOwnerAsync();
        var id = (await (await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        var response = await owner.GetAsync($"/api/businesses/{id}/forwarding?noAnswerSeconds={seconds}", Ct);

        Assert.Contains("noAnswerSeconds", (await response.AssertValidationProblemAsync()).Keys);
    }

    [Fact]
    public async Task TheSameLineCannotBeAddedTwiceAndAnAssignedLineCannotBeRetired()
    {
        var admin = await app.AdminAsync();
        var line = await AddLineAsync(app, "+7 495 000-00-20");
        var again = await admin.PostAsJsonAsync("/api/admin/lines", new { number = "8 495 000-00-20" }, Ct);
        Assert.Contains("number", (await again.AssertValidationProblemAsync()).Keys);
        var bad = await admin.PostAsJsonAsync("/api/admin/lines", new { number = "hello" }, Ct);
        Assert.Contains("number", (await bad.AssertValidationProblemAsync()).Keys);

        if (line.GetProperty("businessId").ValueKind == JsonValueKind.Null)
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/admin/lines/{line.GetProperty("id").GetGuid()}", Ct)).StatusCode);
        else
            await (await admin.DeleteAsync($"/api/admin/lines/{line.GetProperty("id").GetGuid()}", Ct)).AssertProblemAsync(HttpStatusCode.Conflict);
    }
}
