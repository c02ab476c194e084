using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>
/// On a real port behind a "proxy" on loopback (the default trusted one), so each test speaks from its own
/// client address through X-Forwarded-For, as clients do behind Fly's edge. Limits are small here.
/// </summary>
public sealed class ThrottledApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    public const int PerClient = 5;
    public const int PerEmail = 4;
    public const int TemplatesPerOwner = 3;

    protected override bool OnRealPort => true;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Throttling:AccountsPerClient:PermitLimit", PerClient.ToString()),
        new("Throttling:AccountsPerClient:Window", "00:10:00"),
        new("Throttling:AccountsPerEmail:PermitLimit", PerEmail.ToString()),
        new("Throttling:AccountsPerEmail:Window", "00:10:00"),
        new("Throttling:TemplatesPerOwner:PermitLimit", TemplatesPerOwner.ToString()),
        new("Throttling:TemplatesPerOwner:Window", "00:10:00"),
    ];

    /// <summary>A client whose requests come, as far as the app can tell, from a new public address.</summary>
    public HttpClient ClientFromNewAddress()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", $"203.0.{Random.Shared.Next(0, 255)}.{Random.Shared.Next(1, 255)}");
        return client;
    }

    /// <summary>Registers an owner from an address of its own (registration is throttled too).</summary>
    public async Task<(string Email, string Password)> RegisterAsync()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        const string password = "owner-password-1";
        (await ClientFromNewAddress().PostAsJsonAsync("/api/auth/register", new { email, password, personalDataConsent = true })).EnsureSuccessStatusCode();
        return (email, password);
    }
}

public sealed class ThrottlingTests(ThrottledApp app) : IClassFixture<ThrottledApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Task<HttpResponseMessage> Login(HttpClient client, string email, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new { email, password }, Ct);

    [Fact]
    public async Task SignInFromOneAddressIsThrottledWithA429ProblemAndRetryAfter()
    {
        var attacker = app.ClientFromNewAddress();
        for (var i = 0; i < ThrottledApp.PerClient; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(attacker, $"nobody-{Guid.NewGuid():N}@example.com", "wrong-password")).StatusCode);

        var refused = await Login(attacker, $"nobody-{Guid.NewGuid():N}@example.com", "wrong-password");

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 and <= 600 }, $"Retry-After: {refused.Headers.RetryAfter}");
        // Another client is not affected.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login(app.ClientFromNewAddress(), $"x-{Guid.NewGuid():N}@example.com", "wrong-password")).StatusCode);
    }

    [Fact]
    public async Task GuessingOneAccountsPasswordFromManyAddressesIsThrottledPerEmail()
    {
        var (email, password) = await app.RegisterAsync(); // the sign-up counts too
        for (var i = 0; i < ThrottledApp.PerEmail - 1; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(app.ClientFromNewAddress(), email, $"guess-{i}-password")).StatusCode);

        var refused = await Login(app.ClientFromNewAddress(), email, password);

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task PasswordResetAndConfirmationAreThrottledPerClientToo()
    {
        var client = app.ClientFromNewAddress();
        for (var i = 0; i < ThrottledApp.PerClient; i++)
            Assert.True((await client.PostAsJsonAsync("/api/auth/forgotPassword", new { email = $"r-{Guid.NewGuid():N}@example.com" }, Ct)).IsSuccessStatusCode);
        await (await client.PostAsJsonAsync("/api/auth/resendConfirmationEmail", new { email = $"r-{Guid.NewGuid():N}@example.com" }, Ct))
            .AssertProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task UnknownAndExistingAccountsCannotBeToldApart()
    {
        var (email, _) = await app.RegisterAsync();

        // Registering again answers like a new sign-up, and tells the account's owner by email instead.
        var again = await app.ClientFromNewAddress().PostAsJsonAsync("/api/auth/register", new { email, password = "another-password-1", personalDataConsent = true }, Ct);
        var fresh = await app.ClientFromNewAddress().PostAsJsonAsync("/api/auth/register",
            new { email = $"new-{Guid.NewGuid():N}@example.com", password = "another-password-1", personalDataConsent = true }, Ct);
        Assert.Equal(fresh.StatusCode, again.StatusCode);
        Assert.Equal(await fresh.Content.ReadAsStringAsync(Ct), await again.Content.ReadAsStringAsync(Ct));
        Assert.Equal(1L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE kind = 'email' AND payload::text LIKE '%' || $1 || '%' AND payload::text LIKE '%tried to sign up%'", email));

        // A wrong password and an unknown account: the same answer, after comparable work (a hash either way).
        var existing = new List<double>();
        var unknown = new List<double>();
        string? existingBody = null, unknownBody = null;
        for (var i = 0; i < ThrottledApp.PerEmail - 2; i++) // two sign-ups spent the rest of this email's allowance
        {
            var clock = Stopwatch.StartNew();
            var wrong = await Login(app.ClientFromNewAddress(), email, "wrong-password-1");
            existing.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            var missing = await Login(app.ClientFromNewAddress(), $"nobody-{Guid.NewGuid():N}@example.com", "wrong-password-1");
            unknown.Add(clock.Elapsed.TotalMilliseconds);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            existingBody = Detail(await wrong.Content.ReadAsStringAsync(Ct));
            unknownBody = Detail(await missing.Content.ReadAsStringAsync(Ct));
        }
        Assert.Equal(existingBody, unknownBody);
        Assert.True(unknown.Min() > existing.Min() / 3,
            $"an unknown account answers much faster ({unknown.Min():0} ms) than a wrong password ({existing.Min():0} ms)");
    }

    [Fact]
    public async Task ManyWrongPasswordsDoNotLockTheAccount()
    {
        var (email, password) = await app.RegisterAsync();
        for (var i = 0; i < ThrottledApp.PerEmail - 2; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(app.ClientFromNewAddress(), email, "wrong-password-1")).StatusCode);
        Assert.Equal(0, await app.ScalarAsync<int>("SELECT access_failed_count FROM users WHERE email = $1", email));

        Assert.Equal(HttpStatusCode.OK, (await Login(app.ClientFromNewAddress(), email, password)).StatusCode);
    }

    [Fact]
    public async Task ScenarioPreviewIsThrottledPerOwner()
    {
        var (email, password) = await app.RegisterAsync();
        var owner = app.ClientFromNewAddress();
        var token = (await (await Login(owner, email, password)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString();
        owner.DefaultRequestHeaders.Authorization = new("Bearer", token);
        for (var i = 0; i < ThrottledApp.TemplatesPerOwner; i++)
            Assert.Equal(HttpStatusCode.OK, (await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = Scenario }, Ct)).StatusCode);

        var refused = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = Scenario }, Ct);

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task ProviderWebhooksAreNeverThrottled()
    {
        var provider = app.ClientFromNewAddress();
        for (var i = 0; i < ThrottledApp.PerClient * 3; i++)
        {
            var response = await provider.PostAsync("/billing/stripe/webhook", new StringContent("{}"), Ct);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
        }
    }

    const string Scenario = """
        ## greeting
        {{ business_name }}, здравствуйте.
        ## script
        Спросите имя.
        ## outcomes
        message_taken — Принято
        """;

    static string? Detail(string problem) => JsonDocument.Parse(problem).RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
}
