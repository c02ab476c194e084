using System.Net;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>
/// The URL under Twilio's signature is the public base plus the path and query exactly as requested; the port
/// variants Twilio's helper libraries accept (443 written or not) are accepted, and nothing else.
/// </summary>
public sealed class TwilioSignatureUrlTests(TelephonyApp app) : IClassFixture<TelephonyApp>
{
    const string Path = "/telephony/twilio/forwarding-check-answer";
    static readonly Dictionary<string, string> Form = new() { ["CallSid"] = "CA0123", ["AccountSid"] = TelephonyApp.AccountSid };

    async Task<HttpStatusCode> PostAsync(string requestedPathAndQuery, string signedUrl)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, requestedPathAndQuery) { Content = new FormUrlEncodedContent(Form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSigner.Signature(TelephonyApp.AuthToken, signedUrl, Form));
        return (await app.CreateClient().SendAsync(request, TestContext.Current.CancellationToken)).StatusCode;
    }

    [Theory]
    [InlineData(Path, "https://receptionist.example" + Path)]
    [InlineData(Path, "https://receptionist.example:443" + Path)]
    [InlineData(Path + "?Attempt=2&Name=a%20b", "https://receptionist.example" + Path + "?Attempt=2&Name=a%20b")]
    [InlineData("/telephony/twilio/Forwarding-Check-Answer", "https://receptionist.example/telephony/twilio/Forwarding-Check-Answer")]
    public async Task TheUrlTwilioRequestedAndItsPortVariantAreAccepted(string requested, string signed) =>
        Assert.Equal(HttpStatusCode.OK, await PostAsync(requested, signed));

    [Theory]
    [InlineData(Path, "https://receptionist.example:8443" + Path)]
    [InlineData(Path, "http://receptionist.example" + Path)]
    [InlineData(Path, "https://receptionist.example:80" + Path)]
    [InlineData(Path + "?Name=a%20b", "https://receptionist.example" + Path + "?Name=a b")]
    [InlineData("/telephony/twilio/Forwarding-Check-Answer", "https://receptionist.example" + Path)]
    [InlineData(Path, "https://evil.example" + Path)]
    public async Task AnyOtherUrlIsRefused(string requested, string signed) =>
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(requested, signed));
}
