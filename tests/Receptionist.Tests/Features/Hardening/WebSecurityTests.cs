using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>On a real port, so requests arrive from loopback: the proxy the default configuration trusts.</summary>
public sealed class ProxiedApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    protected override bool OnRealPort => true;
}

public sealed class WebSecurityTests(ProxiedApp app) : IClassFixture<ProxiedApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/")]
    [InlineData("/console/")]
    [InlineData("/owner/owner.js")]
    [InlineData("/api/billing/plans")]
    [InlineData("/api/businesses")]
    [InlineData("/health/live")]
    public async Task EveryAnswerCarriesTheSecurityHeaders(string path)
    {
        var response = await app.CreateClient().GetAsync(path, Ct);

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("strict-origin-when-cross-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }

    [Fact]
    public async Task BehindTheTlsProxyTheSignInCookieIsSecureAndHstsIsSent()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password = "owner-password-1", personalDataConsent = true }, Ct)).EnsureSuccessStatusCode();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login?useCookies=true")
        {
            Content = JsonContent.Create(new { email, password = "owner-password-1" }),
        };
        request.Headers.Host = "receptionist.example";
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "198.51.100.7");

        var response = await app.CreateClient().SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("max-age=", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public async Task PlainHttpWithoutTheProxyHeaderGetsNoSecureCookieInTesting()
    {
        // The counterpart of the test above: Secure follows the scheme the proxy reports (Production forces it always).
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password = "owner-password-1", personalDataConsent = true }, Ct)).EnsureSuccessStatusCode();
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login?useCookies=true", new { email, password = "owner-password-1" }, Ct);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }
}

/// <summary>The service as Production configures it (with the settings Production requires).</summary>
public sealed class ProductionApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
        builder.UseSetting("App:PublicBaseUrl", "https://receptionist.example");
        builder.UseSetting("Legal:ContactEmail", "privacy@receptionist.example");
        builder.UseSetting("Legal:OperatorName", "ООО «Ресепшионист»");
    }
}

public sealed class ProductionCookieTests(ProductionApp app) : IClassFixture<ProductionApp>
{
    [Fact]
    public async Task InProductionTheSignInCookieIsSecureWhateverTheLastHopSays()
    {
        var ct = TestContext.Current.CancellationToken;
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password = "owner-password-1", personalDataConsent = true }, ct)).EnsureSuccessStatusCode();

        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login?useCookies=true", new { email, password = "owner-password-1" }, ct);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }
}
