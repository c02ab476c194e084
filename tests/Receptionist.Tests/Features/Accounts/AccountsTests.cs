using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Accounts;

public sealed class AccountsTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    [Fact]
    public async Task OwnerRegistersSignsInAndReadsTheirAccountOnlyWithTheToken()
    {
        var owner = await app.NewOwnerAsync();

        var info = await owner.GetFromJsonAsync<JsonElement>("/api/auth/manage/info", TestContext.Current.CancellationToken);
        Assert.StartsWith("owner-", info.GetProperty("email").GetString());

        var anonymous = await app.CreateClient().GetAsync("/api/auth/manage/info", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        // An owner-only endpoint: works with the token, 401 without it.
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/api/businesses", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/businesses", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task OwnerIsForbiddenFromAdminAndOperatorEndpoints()
    {
        var owner = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync("/api/admin/staff", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync("/api/admin/lines", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync("/api/console/queue", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.PostAsync("/api/console/calls/next", null, TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task AdminCreatesAnOperatorWhoCanSignInButNotAdminister()
    {
        var (operatorClient, email) = await app.NewOperatorAsync("Мария");

        var admin = await app.AdminAsync();
        var staff = await admin.GetFromJsonAsync<JsonElement[]>("/api/admin/staff", TestContext.Current.CancellationToken);
        Assert.Contains(staff!, s => s.GetProperty("email").GetString() == email
            && s.GetProperty("role").GetString() == "Operator" && s.GetProperty("displayName").GetString() == "Мария");

        var forbidden = await operatorClient.GetAsync("/api/admin/staff", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Theory]
    [InlineData("not-an-email", "long-enough-1", "email")]
    [InlineData("", "long-enough-1", "email")]
    [InlineData("someone@example.com", "short", "password")]
    [InlineData("someone@example.com", "", "password")]
    public async Task BadRegistrationGetsAProblemNamingTheField(string email, string password, string field)
    {
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password, personalDataConsent = true },
            TestContext.Current.CancellationToken);

        var errors = await response.AssertValidationProblemAsync();
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public async Task RegisteringTheSameEmailTwiceAnswersLikeANewSignUpAndKeepsOneUserWithItsPassword()
    {
        var email = $"twice-{Guid.NewGuid():N}@example.com";
        var client = app.CreateClient();
        (await client.PostAsJsonAsync("/api/auth/register", new { email, password = "long-enough-1", personalDataConsent = true },
            TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var again = await client.PostAsJsonAsync("/api/auth/register", new { email, password = "long-enough-2", personalDataConsent = true },
            TestContext.Current.CancellationToken);

        // Issue 13: "already taken" told anyone which emails have accounts; the owner is emailed instead.
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await app.SignInAsync(email, "long-enough-1");
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM users WHERE normalized_email = upper($1)", connection)
        {
            Parameters = { new() { Value = email } },
        };
        Assert.Equal(1L, await count.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("""{"email": "EMAIL", "password": "long-enough-1"}""")]
    [InlineData("""{"email": "EMAIL", "password": "long-enough-1", "personalDataConsent": false}""")]
    [InlineData("""{"email": "EMAIL", "password": "long-enough-1", "personalDataConsent": null, "callersDataAgreement": true}""")]
    public async Task SignUpWithoutConsentToPersonalDataProcessingIsRefusedNamingTheFieldAndCreatesNothing(string body)
    {
        var email = $"no-consent-{Guid.NewGuid():N}@example.com";
        var response = await app.CreateClient().PostAsync("/api/auth/register",
            new StringContent(body.Replace("EMAIL", email), System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        var errors = await response.AssertValidationProblemAsync();
        Assert.Equal(["personalDataConsent"], errors.Keys);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM users WHERE normalized_email = upper($1)", email));
    }

    [Fact]
    public async Task ConsentIsKeptWithItsTimePolicyVersionAndClientAddress()
    {
        var email = $"consent-{Guid.NewGuid():N}@example.com";
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7"); // as the trusted proxy names the client
        (await client.PostAsJsonAsync("/api/auth/register",
            new { email, password = "long-enough-1", personalDataConsent = true, callersDataAgreement = true },
            TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var read = new NpgsqlCommand("""
            SELECT c.given_at, c.policy_version, c.client_address, c.processes_callers_data
            FROM personal_data_consents c JOIN users u ON u.id = c.user_id WHERE u.normalized_email = upper($1)
            """, connection) { Parameters = { new() { Value = email } } };
        await using var row = await read.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await row.ReadAsync(TestContext.Current.CancellationToken));
        Assert.InRange(row.GetFieldValue<DateTimeOffset>(0), before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("2026-11-27", row.GetString(1));
        Assert.Equal("203.0.113.7", row.GetString(2));
        Assert.True(row.GetBoolean(3));
        Assert.False(await row.ReadAsync(TestContext.Current.CancellationToken));
    }
}
