using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>Refresh tokens rotate: each is exchanged once, and a replayed one revokes the whole session family.</summary>
public sealed class RefreshTokenTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<(HttpStatusCode Status, string? RefreshToken)> RefreshAsync(string token)
    {
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = token }, Ct);
        return response.IsSuccessStatusCode
            ? (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("refreshToken").GetString())
            : (response.StatusCode, null);
    }

    [Fact]
    public async Task AReplayedRefreshTokenIsRefusedAndRevokesTheTokenThatReplacedIt()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password = "owner-password-1", personalDataConsent = true }, Ct)).EnsureSuccessStatusCode();
        var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password = "owner-password-1" }, Ct);
        var first = (await login.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("refreshToken").GetString()!;

        var (rotated, second) = await RefreshAsync(first);
        Assert.Equal(HttpStatusCode.OK, rotated);
        Assert.NotEqual(first, second);

        var (replayed, _) = await RefreshAsync(first);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed);

        // The legitimate holder's newer token dies with the family; signing in again works.
        var (afterReplay, _) = await RefreshAsync(second!);
        Assert.Equal(HttpStatusCode.Unauthorized, afterReplay);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password = "owner-password-1" }, Ct)).StatusCode);
    }
}
