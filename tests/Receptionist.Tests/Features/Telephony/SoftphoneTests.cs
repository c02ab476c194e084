using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Telephony;

/// <summary>The service with a Twilio API key, so operators' consoles can register to receive bridged callers.</summary>
public sealed class SoftphoneApp(PostgresServer postgres) : CallsApp(postgres)
{
    public const string ApiKeySid = "SK00000000000000000000000000000001";
    public const string ApiKeySecret = "0123456789abcdef0123456789abcdef";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Twilio:ApiKeySid", ApiKeySid), new("Twilio:ApiKeySecret", ApiKeySecret)];
}

public sealed class SoftphoneTests(SoftphoneApp app) : IClassFixture<SoftphoneApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static JsonElement Part(string jwt, int index)
    {
        var part = jwt.Split('.')[index].Replace('-', '+').Replace('_', '/');
        return JsonDocument.Parse(Convert.FromBase64String(part.PadRight(part.Length + (4 - part.Length % 4) % 4, '='))).RootElement;
    }

    [Fact]
    public async Task AnOperatorGetsAVoiceTokenForTheIdentityTheBridgeDials()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var operatorClient = await app.AvailableOperatorAsync();

        var issued = await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/voice-token", Ct);

        var jwt = issued.GetProperty("token").GetString()!;
        var header = Part(jwt, 0);
        Assert.Equal("HS256", header.GetProperty("alg").GetString());
        Assert.Equal("twilio-fpa;v=1", header.GetProperty("cty").GetString());
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SoftphoneApp.ApiKeySecret),
            Encoding.ASCII.GetBytes(jwt[..jwt.LastIndexOf('.')]))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, jwt[(jwt.LastIndexOf('.') + 1)..]);
        var claims = Part(jwt, 1);
        Assert.Equal(SoftphoneApp.ApiKeySid, claims.GetProperty("iss").GetString());
        Assert.Equal(TelephonyApp.AccountSid, claims.GetProperty("sub").GetString());
        var grants = claims.GetProperty("grants");
        Assert.True(grants.GetProperty("voice").GetProperty("incoming").GetProperty("allow").GetBoolean());
        var lifetime = claims.GetProperty("exp").GetInt64() - app.Clock.GetUtcNow().ToUnixTimeSeconds();
        Assert.InRange(lifetime, 3590, 3600);

        // The bridge rings exactly the identity this console registers under.
        var sid = $"CA{Guid.NewGuid():N}";
        await app.IncomingCallAsync(sid, "+79160001234", business.Line);
        var callId = (await (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct))
            .GetProperty("callId").GetGuid();
        var bridge = XDocument.Parse(await (await app.CallbackAsync($"/telephony/twilio/bridge?call={callId}", sid)).Content.ReadAsStringAsync(Ct));
        Assert.Equal(grants.GetProperty("identity").GetString(), bridge.Root!.Element("Dial")!.Element("Client")!.Value);
        Assert.Equal(issued.GetProperty("identity").GetString(), grants.GetProperty("identity").GetString());
    }

    [Fact]
    public async Task OwnersGetNoVoiceToken()
    {
        var owner = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync("/api/console/voice-token", Ct)).StatusCode);
    }
}

public sealed class SoftphoneNotConfiguredTests(CallsApp app) : IClassFixture<CallsApp>
{
    [Fact]
    public async Task WithoutAnApiKeyTheConsoleIsToldTheSoftphoneIsOff()
    {
        var operatorClient = await app.AvailableOperatorAsync();
        var response = await operatorClient.GetAsync("/api/console/voice-token", TestContext.Current.CancellationToken);
        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
    }
}
