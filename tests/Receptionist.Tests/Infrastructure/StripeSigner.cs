using System.Security.Cryptography;
using System.Text;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// Signs webhooks the way Stripe does: <c>Stripe-Signature: t={unix time},v1={hex HMAC-SHA256 of "{t}.{payload}"}</c>
/// with the endpoint's secret. Written apart from Stripe.net, which the app uses to check.
/// </summary>
public static class StripeSigner
{
    public static string Header(string payload, string secret, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds();
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }
}
