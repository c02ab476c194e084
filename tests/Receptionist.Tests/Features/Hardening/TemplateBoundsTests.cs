using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>Owner templates are bounded where one operation could run unbounded, and a template that cannot render is refused at save.</summary>
public sealed class TemplateBoundsTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static string Scenario(string script) => $"""
        ## greeting
        Здравствуйте.
        ## script
        {script}
        ## outcomes
        message_taken — Принято
        """;

    [Theory]
    [InlineData("{{ 1 << 1048576 }}")]
    [InlineData("{{ x = 10 }}{{ for i in 1..40 }}{{ x = x * x }}{{ end }}{{ x }}")]
    [InlineData("{{ (1..2000000000) | array.size }}")]
    [InlineData("{{ 2 | math.pow 4000000 }}")]
    [InlineData("{{ 123456789012345678901234567890 }}")]
    public async Task OperationsWithUnboundedCostAreRefusedQuicklyWithLineAndColumn(string script)
    {
        var owner = await app.NewOwnerAsync();
        var clock = Stopwatch.StartNew();

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = Scenario(script) }, Ct);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed.TotalMilliseconds:0} ms");
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("source", (await response.AssertValidationProblemAsync()).Keys);
        Assert.Contains("4", JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("source")[0].GetString()); // line 4
    }

    [Theory]
    [InlineData("Итого: {{ 1 | string.no_such_function }}")]
    [InlineData("Итого: {{ \"abc\" | string.slice \"x\" }}")]
    [InlineData("Итого: {{ no_such_variable }}")]
    public async Task ATemplateThatParsesButCannotRenderIsRefusedAtSaveWithItsLine(string script)
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        var response = await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { source = Scenario(script) }, Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("source", (await response.AssertValidationProblemAsync()).Keys);
        Assert.Equal(4, JsonDocument.Parse(body).RootElement.GetProperty("line").GetInt32());
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM scenario_versions WHERE business_id = $1", id));
    }
}
