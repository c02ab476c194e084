using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.ApiKeys;

/// <summary>The service with a small per-key rate, so the limit is reached within a test.</summary>
public sealed class ApiKeysApp(PostgresServer postgres) : CallsApp(postgres)
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("ApiKeys:PermitLimit", "5"), new("ApiKeys:Window", "01:00:00")];
}

public sealed class ApiKeysTests(ApiKeysApp app) : IClassFixture<ApiKeysApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<(HttpClient Client, JsonElement Created)> KeyClientAsync(HttpClient owner, string name = "amoCRM sync")
    {
        var response = await owner.PostAsJsonAsync("/api/api-keys", new { name }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("key").GetString());
        return (client, created);
    }

    [Fact]
    public async Task AKeyReadsItsOwnersBusinessesCallsAndSummariesAndNothingElse()
    {
        var business = await app.NewBusinessAsync();
        var other = await app.NewBusinessAsync();
        var callId = await app.SummarisedCallAsync(business, "message_taken");
        var (key, created) = await KeyClientAsync(business.Owner);

        var businesses = await key.GetFromJsonAsync<JsonElement>("/api/businesses", Ct);
        var calls = await key.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/calls", Ct);
        var call = await key.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/calls/{callId}", Ct);
        var foreign = await key.GetAsync($"/api/businesses/{other.Id}/calls", Ct);
        var write = await key.PutAsJsonAsync($"/api/businesses/{business.Id}", new { name = "x" }, Ct);
        var notReadable = await key.GetAsync($"/api/businesses/{business.Id}/billing", Ct);
        var keys = await key.GetAsync("/api/api-keys", Ct);
        var listed = await business.Owner.GetFromJsonAsync<JsonElement>("/api/api-keys", Ct);

        Assert.StartsWith("rk_", created.GetProperty("key").GetString());
        Assert.Equal(business.Id, Assert.Single(businesses.EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(callId, calls.GetProperty("items")[0].GetProperty("id").GetGuid());
        Assert.Equal("message_taken", call.GetProperty("summary").GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        await write.AssertProblemAsync(HttpStatusCode.Forbidden);
        await notReadable.AssertProblemAsync(HttpStatusCode.Forbidden);
        await keys.AssertProblemAsync(HttpStatusCode.Forbidden);
        var stored = Assert.Single(listed.EnumerateArray());
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("key").ValueKind);
        Assert.Equal("amoCRM sync", stored.GetProperty("name").GetString());
        Assert.NotEqual(JsonValueKind.Null, stored.GetProperty("lastUsedAt").ValueKind);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM api_keys WHERE hash = $1 OR hint = $1", created.GetProperty("key").GetString()!));
    }

    [Fact]
    public async Task ARevokedKeyReadsNothingAndEachKeyHasItsOwnRate()
    {
        var business = await app.NewBusinessAsync(live: false);
        var (revoked, created) = await KeyClientAsync(business.Owner);
        var (busy, _) = await KeyClientAsync(business.Owner, "busy");
        var (calm, _) = await KeyClientAsync(business.Owner, "calm");
        var stranger = await app.NewOwnerAsync();

        var foreignRevoke = await stranger.DeleteAsync($"/api/api-keys/{created.GetProperty("id").GetGuid()}", Ct);
        (await business.Owner.DeleteAsync($"/api/api-keys/{created.GetProperty("id").GetGuid()}", Ct)).EnsureSuccessStatusCode();
        var afterRevoke = await revoked.GetAsync("/api/businesses", Ct);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
            statuses.Add((await busy.GetAsync("/api/businesses", Ct)).StatusCode);
        var limited = await busy.GetAsync("/api/businesses", Ct);
        var other = await calm.GetAsync("/api/businesses", Ct);
        var badName = await business.Owner.PostAsJsonAsync("/api/api-keys", new { name = new string('x', 101) }, Ct);

        Assert.Equal(HttpStatusCode.NotFound, foreignRevoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Contains("name", (await badName.AssertValidationProblemAsync()).Keys);
    }

    [Fact]
    public async Task TheOpenApiDocumentNamesTheKeyAndTheOperationsItReads()
    {
        var document = await app.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);

        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("scheme").GetString());
        var calls = document.GetProperty("paths").GetProperty("/api/businesses/{id}/calls").GetProperty("get");
        Assert.True(calls.GetProperty("security")[0].TryGetProperty("ApiKey", out _));
        Assert.False(document.GetProperty("paths").GetProperty("/api/businesses/{id}/billing").GetProperty("get").TryGetProperty("security", out _));
    }
}
