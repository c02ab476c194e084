using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Receptionist.Data;

namespace Receptionist.Features.Accounts;

/// <summary>A refresh token that has been exchanged once (by its hash): a second exchange is a replay.</summary>
public sealed class UsedRefreshToken
{
    public string TokenHash { get; init; } = "";
    public Guid UserId { get; init; }
    public DateTimeOffset UsedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
}

sealed class UsedRefreshTokenConfiguration : IEntityTypeConfiguration<UsedRefreshToken>
{
    public void Configure(EntityTypeBuilder<UsedRefreshToken> b)
    {
        b.ToTable("used_refresh_tokens");
        b.HasKey(x => x.TokenHash);
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.HasIndex(x => x.ExpiresAt);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// Identity's refresh tokens are stateless: each exchange issues a new pair but the old token stays valid until it
/// expires, so a stolen one can be replayed for weeks. Here each token can be exchanged once (rotation); presenting
/// one again means two parties hold it, and the whole session family is revoked (the security stamp changes, which
/// invalidates every refresh token and cookie of that user).
/// </summary>
static class RefreshTokenRotation
{
    public static TBuilder RequireRefreshTokenRotation<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (context.Arguments.OfType<RefreshRequest>().FirstOrDefault() is not { RefreshToken: { Length: > 0 } token })
                return await next(context);
            var services = context.HttpContext.RequestServices;
            var bearer = services.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>().Get(IdentityConstants.BearerScheme);
            var clock = services.GetRequiredService<TimeProvider>();
            var ticket = bearer.RefreshTokenProtector.Unprotect(token);
            if (ticket?.Properties.ExpiresUtc is not { } expires || expires < clock.GetUtcNow()
                || !Guid.TryParse(ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
                return await next(context); // Identity refuses it as it always has

            var db = services.GetRequiredService<AppDbContext>();
            var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
            var now = clock.GetUtcNow();
            var first = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO used_refresh_tokens (token_hash, user_id, used_at, expires_at) VALUES ({hash}, {userId}, {now}, {expires})
                ON CONFLICT (token_hash) DO NOTHING
                """, context.HttpContext.RequestAborted);
            if (first == 1)
            {
                // Housekeeping on the way: a used token past its expiry can never be replayed.
                await db.Database.ExecuteSqlAsync($"DELETE FROM used_refresh_tokens WHERE expires_at < {now}", context.HttpContext.RequestAborted);
                return await next(context);
            }

            var users = services.GetRequiredService<UserManager<AppUser>>();
            if (await users.FindByIdAsync(userId.ToString()) is { } user)
                await users.UpdateSecurityStampAsync(user);
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RefreshTokenRotation))
                .LogWarning("A refresh token of user {UserId} was presented a second time; every session of that user is revoked", userId);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Session revoked",
                detail: "This refresh token was already used; sign in again.");
        });
}
