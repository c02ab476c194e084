using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>
/// What an attacker or a careless client sends: every answer is a 4xx problem naming the field, and nothing
/// is written. The generated test walks every JSON endpoint of the OpenAPI document.
/// </summary>
public sealed class HostileInputTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("""{"name": "Лавка\u0000", "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": ["a@example.com"]}""", "name")]
    [InlineData("""{"name": 42, "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": ["a@example.com"]}""", "name")]
    [InlineData("""{"name": null, "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": ["a@example.com"]}""", "name")]
    [InlineData("""{"name": "Лавка", "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": [null]}""", "summaryEmails[0]")]
    [InlineData("""{"name": "Лавка", "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": ["a@example.com"], "hours": [null]}""", "hours[0]")]
    [InlineData("""{"name": "Лавка", "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": ["a@example.com"], "holidays": [null]}""", "holidays[0]")]
    [InlineData("""{"name": "Лавка", "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": ["a@example.com"], "hours": [{"day": 1, "open": "09:00", "close": "18:00"}]}""", "hours[0].day")]
    [InlineData("""{"name": "Лавка", "protectedNumber": "+74951110000", "timeZone": "Europe/Moscow", "summaryEmails": ["a@example.com"], "holidays": [{"date": "2026-12-31", "note": "\u0001"}]}""", "holidays[0].note")]
    public async Task BadBusinessInputIsRefusedNamingTheJsonPathAndWritesNothing(string body, string field)
    {
        var owner = await app.NewOwnerAsync();
        var before = await CountRowsAsync();

        var response = await owner.PostAsync("/api/businesses", Json(body), Ct);

        var errors = await response.AssertValidationProblemAsync();
        Assert.Contains(field, errors.Keys);
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task AHolidayNoteHasALengthLimit()
    {
        var owner = await app.NewOwnerAsync();
        var response = await owner.PostAsJsonAsync("/api/businesses", new
        {
            name = "Лавка", protectedNumber = BusinessesTests.UniqueMoscowNumber(), timeZone = "Europe/Moscow",
            summaryEmails = new[] { "a@example.com" }, holidays = new[] { new { date = "2026-12-31", note = new string('x', 10_000) } },
        }, Ct);
        Assert.Contains("holidays[0].note", (await response.AssertValidationProblemAsync()).Keys);
    }

    [Theory]
    [InlineData("/api/auth/register", """{"email": null, "password": "long-enough-1"}""", "email")]
    [InlineData("/api/auth/register", """{"email": "a\u0000@example.com", "password": "long-enough-1"}""", "email")]
    [InlineData("/api/auth/login", """{"email": null, "password": "long-enough-1"}""", "email")]
    [InlineData("/api/auth/login", """{"email": "a\u0000@example.com", "password": "x"}""", "email")]
    [InlineData("/api/auth/login", """{"email": 5, "password": "x"}""", "email")]
    [InlineData("/api/auth/forgotPassword", """{"email": null}""", "email")]
    [InlineData("/api/auth/forgotPassword", """{"email": "\u0000"}""", "email")]
    [InlineData("/api/auth/resetPassword", """{"email": null, "resetCode": "x", "newPassword": "long-enough-1"}""", "email")]
    [InlineData("/api/auth/resendConfirmationEmail", """{"email": "\u0000"}""", "email")]
    public async Task IdentityEndpointsRefuseNullAndControlCharacterEmailsNamingTheField(string path, string body, string field)
    {
        var response = await app.CreateClient().PostAsync(path, Json(body), Ct);
        Assert.Contains(field, (await response.AssertValidationProblemAsync()).Keys);
    }

    [Fact]
    public async Task ConfirmEmailWithAMalformedUserIdIsNotAServerError()
    {
        var response = await app.CreateClient().GetAsync("/api/auth/confirmEmail?userId=x&code=y", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("page=2147483647&pageSize=2", "page")]
    [InlineData("page=1&pageSize=2147483647", "pageSize")]
    [InlineData("outcome=%00", "outcome")]
    public async Task OutOfRangePagingAndControlCharactersInTheQueryAreRefusedNamingTheParameter(string query, string field)
    {
        var owner = await app.NewOwnerAsync();
        var id = await NewBusinessAsync(owner);

        var response = await owner.GetAsync($"/api/businesses/{id}/calls?{query}", Ct);

        Assert.Contains(field, (await response.AssertValidationProblemAsync()).Keys);
    }

    /// <summary>
    /// Every JSON endpoint in /openapi/v1.json, every property of its body, each hostile value in turn on an
    /// otherwise plausible body: a 4xx problem naming the property (its JSON path), never a 5xx, no row written.
    /// </summary>
    [Fact]
    public async Task EveryJsonEndpointRefusesHostileValuesForEveryPropertyNamingItAndWritesNothing()
    {
        var owner = await app.NewOwnerAsync();
        var businessId = (await NewBusinessAsync(owner)).ToString();
        var (operatorClient, _) = await app.NewOperatorAsync();
        var admin = await app.AdminAsync();

        using var document = JsonDocument.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json", Ct));
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        var failures = new List<string>();
        var cases = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            if (!path.Name.StartsWith("/api/", StringComparison.Ordinal))
                continue; // webhooks are signed form posts; their own tests cover them
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (!operation.Value.TryGetProperty("requestBody", out var requestBody)
                    || !requestBody.GetProperty("content").TryGetProperty("application/json", out var content))
                    continue;
                var schema = Resolve(content.GetProperty("schema"), schemas);
                if (!schema.TryGetProperty("properties", out _))
                    continue;
                var url = path.Name.Replace("{id}", businessId).Replace("{callId}", Guid.NewGuid().ToString())
                    .Replace("{scenarioId}", Guid.NewGuid().ToString());
                url = System.Text.RegularExpressions.Regex.Replace(url, "\\{[^}]+\\}", Guid.NewGuid().ToString());
                var client = path.Name.StartsWith("/api/admin", StringComparison.Ordinal) ? admin
                    : path.Name.StartsWith("/api/console", StringComparison.Ordinal) ? operatorClient
                    : owner;
                foreach (var (field, propertySchema, place) in Targets(schema, schemas))
                {
                    foreach (var (label, value) in HostileValues(propertySchema))
                    {
                        cases++;
                        var body = Plausible(schema, schemas);
                        place(body, value?.DeepClone());
                        var before = await CountRowsAsync();
                        using var request = new HttpRequestMessage(new HttpMethod(operation.Name.ToUpperInvariant()), url)
                        {
                            Content = Json(body.ToJsonString().Replace($"\"{DeepMarker}\"", Deep)),
                        };
                        var response = await client.SendAsync(request, Ct);
                        var text = await response.Content.ReadAsStringAsync(Ct);
                        var where = $"{operation.Name.ToUpperInvariant()} {path.Name} {field}={label}";
                        if ((int)response.StatusCode is < 400 or >= 500)
                            failures.Add($"{where}: {(int)response.StatusCode} {Truncate(text)}");
                        else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                            failures.Add($"{where}: {(int)response.StatusCode} without problem details");
                        // Too deep is found while the enclosing value is read ahead: naming "hours" for hours[0].day is right.
                        else if (response.StatusCode == HttpStatusCode.BadRequest
                                 && !NamesProperty(text, field, orEnclosing: label == "deep nesting"))
                            failures.Add($"{where}: 400 not naming the property: {Truncate(text)}");
                        else if (await CountRowsAsync() is var after && after != before)
                            failures.Add($"{where}: rows written ({before} → {after})");
                    }
                }
            }
        }
        Assert.True(cases > 100, $"only {cases} cases: the OpenAPI document lost its request schemas?");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} hostile requests misbehaved:\n" + string.Join("\n", failures));
    }

    static async Task<Guid> NewBusinessAsync(HttpClient owner)
    {
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }

    const string DeepMarker = "__deep__";
    static readonly string Deep = string.Concat(Enumerable.Repeat("[", 200)) + string.Concat(Enumerable.Repeat("]", 200));

    /// <summary>
    /// Each property of the body, and each property of the first element of an array of objects ("hours[0].day")
    /// and a value of a map ("fields.k"): its JSON path, its schema, and how to put a value there.
    /// </summary>
    static IEnumerable<(string Field, JsonElement Schema, Action<JsonObject, JsonNode?> Place)> Targets(JsonElement schema, JsonElement schemas)
    {
        foreach (var property in schema.GetProperty("properties").EnumerateObject())
        {
            var name = property.Name;
            var propertySchema = Resolve(property.Value, schemas);
            yield return (name, propertySchema, (body, value) => body[name] = value);
            if (Types(propertySchema).Contains("array") && propertySchema.TryGetProperty("items", out var items)
                && Resolve(items, schemas) is var item && item.TryGetProperty("properties", out var itemProperties))
            {
                foreach (var inner in itemProperties.EnumerateObject())
                {
                    var innerName = inner.Name;
                    yield return ($"{name}[0].{innerName}", Resolve(inner.Value, schemas), (body, value) =>
                    {
                        var element = Plausible(item, schemas);
                        element[innerName] = value;
                        body[name] = new JsonArray(element);
                    });
                }
            }
            if (Types(propertySchema).Contains("object") && propertySchema.TryGetProperty("additionalProperties", out var values)
                && values.ValueKind == JsonValueKind.Object)
                yield return ($"{name}.k", Resolve(values, schemas), (body, value) => body[name] = new JsonObject { ["k"] = value });
        }
    }

    static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    static bool NamesProperty(string problem, string property, bool orEnclosing)
    {
        using var json = JsonDocument.Parse(problem);
        return json.RootElement.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any(e =>
            e.Name == property || e.Name.StartsWith(property + "[", StringComparison.Ordinal) || e.Name.StartsWith(property + ".", StringComparison.Ordinal)
            || (orEnclosing && e.Name.Length > 0 && (property.StartsWith(e.Name + "[", StringComparison.Ordinal) || property.StartsWith(e.Name + ".", StringComparison.Ordinal))));
    }

    static JsonElement Resolve(JsonElement schema, JsonElement schemas)
    {
        while (schema.TryGetProperty("$ref", out var reference))
            schema = schemas.GetProperty(reference.GetString()!.Split('/')[^1]);
        return schema;
    }

    static string[] Types(JsonElement schema) => !schema.TryGetProperty("type", out var type) ? []
        : type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)]
        : [type.GetString()!];

    static bool AllowsNull(JsonElement schema) => Types(schema).Contains("null")
        || (schema.TryGetProperty("oneOf", out var oneOf) && oneOf.EnumerateArray().Any(s => Types(s).Contains("null")));

    /// <summary>The hostile values for a property of this schema: each must be refused.</summary>
    static IEnumerable<(string Label, JsonNode? Value)> HostileValues(JsonElement schema)
    {
        var types = Types(schema);
        yield return ("deep nesting", JsonValue.Create(DeepMarker));
        if (!AllowsNull(schema))
            yield return ("null", null);
        if (types.Contains("string"))
        {
            yield return ("wrong type", JsonValue.Create(12345));
            yield return ("NUL", JsonValue.Create("a\u0000b"));
            yield return ("1 MB string", JsonValue.Create(new string('x', 1 << 20)));
            yield return ("huge number", JsonNode.Parse("1e400"));
        }
        else if (types.Contains("integer") || types.Contains("number"))
        {
            yield return ("wrong type", JsonValue.Create("twelve"));
            yield return ("huge number", JsonNode.Parse("99999999999999999999999999999"));
        }
        else if (types.Contains("boolean"))
            yield return ("wrong type", JsonValue.Create("yes"));
        else if (types.Contains("array"))
        {
            yield return ("wrong type", JsonValue.Create("a\u0000b"));
            yield return ("null element", new JsonArray((JsonNode?)null));
            yield return ("1 MB string element", new JsonArray(JsonValue.Create(new string('x', 1 << 20))));
        }
        else if (types.Contains("object"))
            yield return ("wrong type", JsonValue.Create(7));
    }

    /// <summary>A body that would pass the binder: each property a value of its type, so one bad property is the only fault.</summary>
    static JsonObject Plausible(JsonElement schema, JsonElement schemas)
    {
        var body = new JsonObject();
        foreach (var property in schema.GetProperty("properties").EnumerateObject())
            body[property.Name] = PlausibleValue(Resolve(property.Value, schemas), schemas, depth: 0);
        return body;
    }

    static JsonNode? PlausibleValue(JsonElement schema, JsonElement schemas, int depth)
    {
        if (schema.TryGetProperty("enum", out var values))
            return JsonNode.Parse(values.EnumerateArray().First().GetRawText());
        var types = Types(schema);
        if (types.Contains("string"))
            return schema.TryGetProperty("format", out var format) ? format.GetString() switch
            {
                "uuid" => Guid.NewGuid().ToString(),
                "date-time" => "2026-01-01T00:00:00Z",
                "date" => "2026-01-01",
                _ => "x",
            } : "x";
        if (types.Contains("integer") || types.Contains("number"))
            return 1;
        if (types.Contains("boolean"))
            return true;
        if (types.Contains("array"))
            return schema.TryGetProperty("items", out var items) && depth < 3
                ? new JsonArray(PlausibleValue(Resolve(items, schemas), schemas, depth + 1))
                : new JsonArray();
        if (types.Contains("object") && depth < 3 && schema.TryGetProperty("properties", out _))
            return Plausible(schema, schemas);
        if (types.Contains("object"))
            return new JsonObject();
        return null;
    }

    async Task<long> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var tables = new NpgsqlCommand("""
            SELECT string_agg(format('SELECT count(*) FROM %I', table_name), ' UNION ALL ')
            FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
              AND table_name NOT IN ('__EFMigrationsHistory', 'data_protection_keys')
            """, connection);
        var union = (string)(await tables.ExecuteScalarAsync(Ct))!;
        await using var count = new NpgsqlCommand($"SELECT sum(n)::bigint FROM ({union.Replace("SELECT count(*)", "SELECT count(*) AS n")}) t", connection);
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }
}
