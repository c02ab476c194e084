using System.Security.Cryptography;
using System.Text;

namespace Receptionist.Features.Webhooks;

/// <summary>
/// Signs a delivery the way Stripe signs its webhooks: <c>t=UNIX_SECONDS,v1=hex(HMAC-SHA256(secret, t + "." + body))</c>,
/// one v1 per secret in use (two for a day after a rotation). Receivers recompute it and refuse an old <c>t</c>.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Receptionist-Signature";

    public static string Sign(string body, DateTimeOffset at, params IEnumerable<string> secrets)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var payload = Encoding.UTF8.GetBytes($"{timestamp}.{body}");
        return string.Join(',', [$"t={timestamp}", .. secrets.Select(secret =>
            "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload)))]);
    }
}
