using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Receptionist.Features.Telephony;

/// <summary>
/// Twilio's webhook signature (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
/// Base64(HMAC-SHA1(authToken, url + each POST parameter's name and value, names sorted ordinally)).
/// </summary>
public static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, StringValues>> parameters) =>
        Convert.ToBase64String(Hash(authToken, url, parameters));

    /// <summary>Compares in constant time; a missing or malformed signature is simply invalid.</summary>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, StringValues>> parameters, string? signature)
    {
        Span<byte> given = stackalloc byte[HMACSHA1.HashSizeInBytes];
        return signature is not null
            && Convert.TryFromBase64String(signature, given, out var length) && length == given.Length
            && CryptographicOperations.FixedTimeEquals(Hash(authToken, url, parameters), given);
    }

    static byte[] Hash(string authToken, string url, IEnumerable<KeyValuePair<string, StringValues>> parameters)
    {
        var data = new StringBuilder(url);
        // Ordinal, as Twilio's own libraries sort: "B" < "_" < "a".
        foreach (var (name, values) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            foreach (var value in values)
                data.Append(name).Append(value);
        return HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
    }
}
