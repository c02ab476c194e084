using System.Security.Cryptography;
using System.Text;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// Signs webhooks the way Twilio does. Written apart from the app's own check on purpose, so that a mistake in
/// one is not mirrored by the other; the published example pins both.
/// </summary>
public static class TwilioSigner
{
    public static string Signature(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = url + string.Concat(form.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + f.Value));
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data)));
    }

    /// <summary>A form POST to <paramref name="path"/> (relative, may carry a query), signed for the URL Twilio would
    /// have called: <paramref name="publicBaseUrl"/> + path.</summary>
    public static HttpRequestMessage SignedForm(string publicBaseUrl, string path, IDictionary<string, string> form, string authToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Signature(authToken, publicBaseUrl.TrimEnd('/') + path, form));
        return request;
    }
}
