using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Scenarios;

public sealed class BusinessScenarioTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<(HttpClient Owner, Guid Id)> NewBusinessAsync()
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        return (owner, (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid());
    }

    const string OwnScenario = """
        ## greeting
        {{ business_name }}, здравствуйте!
        ## script
        Спросите имя.
        ## fields
        caller_name: text, required — Имя
        ## outcomes
        message_taken — Сообщение принято
        """;

    [Fact]
    public async Task EverySaveIsANewImmutableVersionAndTheLatestIsCurrent()
    {
        var (owner, id) = await NewBusinessAsync();

        var first = await (await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { builtIn = "order-intake" }, Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);
        var second = await (await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { source = OwnScenario }, Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(1, first.GetProperty("number").GetInt32());
        Assert.Equal("order-intake", first.GetProperty("builtIn").GetString());
        Assert.Equal(2, second.GetProperty("number").GetInt32());
        var current = await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{id}/scenario", Ct);
        Assert.Equal(second.GetProperty("id").GetGuid(), current.GetProperty("id").GetGuid());
        Assert.Equal(OwnScenario, current.GetProperty("source").GetString());
        Assert.Equal(2L, await app.ScalarAsync<long>("SELECT count(*) FROM scenario_versions WHERE business_id = $1", id));
        Assert.Contains("order-intake", await app.ScalarAsync<string>(
            "SELECT built_in_key FROM scenario_versions WHERE business_id = $1 AND number = 1", id));
    }

    [Fact]
    public async Task ABrokenOwnScenarioIsRefusedWithLineAndColumnAndTheCurrentVersionStays()
    {
        var (owner, id) = await NewBusinessAsync();
        await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { builtIn = "take-message" }, Ct);

        var response = await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario",
            new { source = "## greeting\nHello {{ if }}\n## script\nx\n## fields\n## outcomes\ndone — Done" }, Ct);

        var errors = await response.AssertValidationProblemAsync();
        Assert.Contains("source", errors.Keys);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(2, problem.GetProperty("line").GetInt32());
        Assert.True(problem.GetProperty("column").GetInt32() > 0);
        Assert.Equal(1, (await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{id}/scenario", Ct)).GetProperty("number").GetInt32());
    }

    [Fact]
    public async Task ChoosingNeitherOrBothOrAnUnknownBuiltInNamesTheField()
    {
        var (owner, id) = await NewBusinessAsync();
        Assert.Contains("builtIn", (await (await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { }, Ct)).AssertValidationProblemAsync()).Keys);
        Assert.Contains("builtIn", (await (await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario",
            new { builtIn = "take-message", source = OwnScenario }, Ct)).AssertValidationProblemAsync()).Keys);
        Assert.Contains("builtIn", (await (await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario",
            new { builtIn = "karaoke" }, Ct)).AssertValidationProblemAsync()).Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/api/businesses/{id}/scenario", Ct)).StatusCode);
    }

    [Fact]
    public async Task AnotherOwnerCannotReadOrChangeTheScenario()
    {
        var (owner, id) = await NewBusinessAsync();
        await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { builtIn = "take-message" }, Ct);
        var stranger = await app.NewOwnerAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{id}/scenario", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { builtIn = "after-hours" }, Ct)).StatusCode);
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM scenario_versions WHERE business_id = $1", id));
    }
}
