using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Blocking;

/// <summary>
/// The "block this caller" link of a summary email: a token naming the business and the number, signed and encrypted
/// with the service's Data Protection keys (shared by every instance through the database) and valid for
/// <see cref="BlockingOptions.BlockLinkLifetime"/>. Opening it only asks; blocking takes a confirmation on the page, so a
/// mail scanner that follows links blocks nobody.
/// </summary>
public sealed class BlockLinks(IDataProtectionProvider protection, IOptions<AppOptions> app, IOptions<BlockingOptions> blocking,
    TimeProvider clock)
{
    readonly ITimeLimitedDataProtector protector =
        protection.CreateProtector("Receptionist.Blocking.BlockLink").ToTimeLimitedDataProtector();

    public Uri UrlFor(Guid businessId, string number) =>
        app.Value.Url($"/block/?token={Uri.EscapeDataString(TokenFor(businessId, number))}");

    public string TokenFor(Guid businessId, string number) =>
        protector.Protect($"{businessId:N}|{number}", clock.GetUtcNow() + blocking.Value.BlockLinkLifetime);

    /// <summary>The business and number a token names, or null when it was not ours, was altered or has expired.</summary>
    public (Guid BusinessId, string Number)? Read(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 2000)
            return null;
        try
        {
            var parts = protector.Unprotect(token, out var expires).Split('|');
            return expires > clock.GetUtcNow() && parts is [var business, var number] && Guid.TryParseExact(business, "N", out var id)
                ? (id, number) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
