using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Accounts;

/// <summary>An admin disables, enables and sets passwords of the pool's accounts, and a disabled account's tokens stop working.</summary>
public sealed class StaffAccessTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<(Guid Id, string Email)> OperatorAsync(HttpClient admin)
    {
        var email = $"operator-{Guid.NewGuid():N}@example.com";
        var created = await admin.PostAsJsonAsync("/api/admin/staff",
            new { email, password = ReceptionistApp.OperatorPassword, displayName = "Ольга", role = "operator" }, Ct);
        created.EnsureSuccessStatusCode();
        return ((await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid(), email);
    }

    static async Task<HttpStatusCode> SignInStatusAsync(HttpClient client, string email, string password) =>
        (await client.PostAsJsonAsync("/api/auth/login", new { email, password }, Ct)).StatusCode;

    [Fact]
    public async Task ADisabledOperatorCannotSignInAndTheTokensTheyHoldStopWorkingUntilEnabled()
    {
        var admin = await app.AdminAsync();
        var (id, email) = await OperatorAsync(admin);
        var anonymous = app.CreateClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/auth/login", new { email, password = ReceptionistApp.OperatorPassword }, Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);
        var console = app.CreateClient();
        console.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("accessToken").GetString());
        Assert.Equal(HttpStatusCode.OK, (await console.GetAsync("/api/console/queue", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/admin/staff/{id}/disable", null, Ct)).StatusCode);

        // The access token already handed out, the refresh token and a new sign-in: all refused.
        Assert.Equal(HttpStatusCode.Forbidden, (await console.GetAsync("/api/console/queue", Ct)).StatusCode);
        var refresh = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.GetProperty("refreshToken").GetString() }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInStatusAsync(anonymous, email, ReceptionistApp.OperatorPassword));
        var listed = (await admin.GetFromJsonAsync<JsonElement>("/api/admin/staff", Ct)).EnumerateArray().Single(s => s.GetProperty("id").GetGuid() == id);
        Assert.True(listed.GetProperty("disabled").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/admin/staff/{id}/enable", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await SignInStatusAsync(anonymous, email, ReceptionistApp.OperatorPassword));
    }

    [Fact]
    public async Task AnAdminSetsANewPasswordAndTheOldOneNoLongerSignsIn()
    {
        var admin = await app.AdminAsync();
        var (id, email) = await OperatorAsync(admin);
        var anonymous = app.CreateClient();

        var tooShort = await admin.PostAsJsonAsync($"/api/admin/staff/{id}/password", new { password = "short" }, Ct);
        Assert.Contains("password", (await tooShort.AssertValidationProblemAsync()).Keys, StringComparer.OrdinalIgnoreCase);

        Assert.Equal(HttpStatusCode.NoContent,
            (await admin.PostAsJsonAsync($"/api/admin/staff/{id}/password", new { password = "a-new-password-2" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInStatusAsync(anonymous, email, ReceptionistApp.OperatorPassword));
        Assert.Equal(HttpStatusCode.OK, await SignInStatusAsync(anonymous, email, "a-new-password-2"));
    }

    [Fact]
    public async Task OnlyAdminsManageThePoolAndNeitherTheirOwnAccountNorAnOwnersIsTheirs()
    {
        var admin = await app.AdminAsync();
        var adminId = (await admin.GetFromJsonAsync<JsonElement>("/api/admin/staff", Ct)).EnumerateArray()
            .Single(s => s.GetProperty("email").GetString() == ReceptionistApp.AdminEmail).GetProperty("id").GetGuid();
        Assert.Contains("id", (await (await admin.PostAsync($"/api/admin/staff/{adminId}/disable", null, Ct)).AssertValidationProblemAsync()).Keys);

        var owner = await app.NewOwnerAsync();
        var ownerId = (await owner.GetFromJsonAsync<JsonElement>("/api/auth/manage/info", Ct)).GetProperty("email").GetString();
        var ownerUserId = await app.ScalarAsync<Guid>("SELECT id FROM users WHERE email = $1", ownerId);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/admin/staff/{ownerUserId}/disable", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.PostAsync($"/api/admin/staff/{adminId}/disable", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().PostAsync($"/api/admin/staff/{adminId}/disable", null, Ct)).StatusCode);
    }
}
