namespace Receptionist.Tests.Infrastructure;

/// <summary>The service with Twilio configured against a <see cref="FakeTwilioApi"/> and a fixed public URL.</summary>
public class TelephonyApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    public const string AccountSid = "ACtest-account-for-the-fake-api";
    public const string AuthToken = "test-auth-token";
    public const string PublicBaseUrl = "https://receptionist.example";

    public FakeTwilioApi Twilio { get; } = new();

    public override async ValueTask InitializeAsync()
    {
        await Twilio.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Twilio:AccountSid", AccountSid),
        new("Twilio:AuthToken", AuthToken),
        new("Twilio:ApiBaseUrl", Twilio.BaseUrl),
        new("App:PublicBaseUrl", PublicBaseUrl),
    ];

    /// <summary>Posts a webhook signed as Twilio would sign it for this app.</summary>
    public Task<HttpResponseMessage> PostSignedAsync(string path, IDictionary<string, string> form) =>
        CreateClient().SendAsync(TwilioSigner.SignedForm(PublicBaseUrl, path, form, AuthToken), TestContext.Current.CancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}
