using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Infrastructure;

namespace Receptionist.Features.ApiKeys;

/// <summary>Section <c>ApiKeys</c>: requests per key per window.</summary>
public sealed class ApiKeyOptions
{
    [Range(1, 100_000)]
    public int PermitLimit { get; set; } = 60;

    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Marks a GET endpoint an owner's API key may read; every other endpoint refuses API keys.</summary>
public sealed class ApiKeyReadable;

/// <summary>
/// <c>Authorization: Bearer rk_…</c>: the key's owner, as an Owner, marked as a key so that <see cref="ApiKeyGate"/> keeps
/// it to reading. A revoked or unknown key authenticates nobody.
/// </summary>
sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, AppDbContext db, TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "api_key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer " + ApiKey.Prefix, StringComparison.Ordinal) || header.Length > 200)
            return AuthenticateResult.NoResult();
        var hash = ApiKey.HashOf(header["Bearer ".Length..].Trim());
        var key = await db.Set<ApiKey>().AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, Context.RequestAborted);
        if (key is null)
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        var now = clock.GetUtcNow();
        // When it was last used, to the minute: one write a minute per key at most.
        if (key.LastUsedAt is null || key.LastUsedAt < now.AddMinutes(-1))
            await db.Set<ApiKey>().Where(k => k.Id == key.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
        var identity = new ClaimsIdentity([
            new Claim(ClaimTypes.NameIdentifier, key.OwnerId.ToString()),
            new Claim(ClaimTypes.Role, Roles.Owner),
            new Claim(KeyIdClaim, key.Id.ToString()),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

/// <summary>
/// Keeps API keys to what they are for: GET on endpoints marked <see cref="ApiKeyReadable"/>, at most
/// <see cref="ApiKeyOptions.PermitLimit"/> requests per window per key (429 with Retry-After beyond).
/// </summary>
sealed class ApiKeyGate(IOptions<ApiKeyOptions> options)
{
    readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.PermitLimit, Window = options.Value.Window, QueueLimit = 0,
        }));

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.User.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value is not { } keyId)
        {
            await next(context);
            return;
        }
        if (!HttpMethods.IsGet(context.Request.Method) || context.GetEndpoint()?.Metadata.GetMetadata<ApiKeyReadable>() is null)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not with an API key",
                detail: "API keys read businesses, calls and summaries; everything else needs the owner's sign-in.").ExecuteAsync(context);
            return;
        }
        using var lease = limiter.AttemptAcquire(keyId);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.Value.Window;
            await Throttling.TooManyRequests(retryAfter).ExecuteAsync(context);
            return;
        }
        await next(context);
    }
}
