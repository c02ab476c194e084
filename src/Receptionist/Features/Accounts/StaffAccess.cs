using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Receptionist.Data;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Accounts;

public sealed record SetStaffPasswordRequest([property: Required, MinLength(8), MaxLength(128)] string Password);

/// <summary>
/// An admin disables and enables operator and admin accounts and sets a new password for them. A disabled account
/// cannot sign in (a lockout without end), its refresh tokens stop working (a new security stamp), and the access
/// tokens it already holds stop passing the Operator and Admin policies within <see cref="ActiveStaffHandler.CheckEvery"/>.
/// </summary>
public static class StaffAccess
{
    public static RouteGroupBuilder MapStaffAccess(this RouteGroupBuilder staff)
    {
        staff.MapPost("/{id:guid}/disable", DisableStaff).WithName(nameof(DisableStaff))
            .WithSummary("Disable an operator or admin: no sign-in, and the tokens held stop working");
        staff.MapPost("/{id:guid}/enable", EnableStaff).WithName(nameof(EnableStaff)).WithSummary("Enable a disabled account again");
        staff.MapPost("/{id:guid}/password", SetStaffPassword).WithName(nameof(SetStaffPassword))
            .WithSummary("Set a new password for an operator or admin (their sessions end)");
        return staff;
    }

    static async Task<Results<NoContent, NotFound, ValidationProblem>> DisableStaff(
        Guid id, CurrentUser me, UserManager<AppUser> users, AppDbContext db, IMemoryCache cache, TimeProvider clock, CancellationToken ct)
    {
        if (id == me.Id)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["You cannot disable your own account."] });
        if (await StaffAsync(users, id) is not { } user)
            return TypedResults.NotFound();
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue);
        await users.UpdateSecurityStampAsync(user);
        // No new calls for them; a call they are on goes on to its end.
        await db.Database.ExecuteSqlAsync($"""
            UPDATE operator_presence SET state = 'Offline', updated_at = {clock.GetUtcNow()} WHERE operator_id = {id} AND state = 'Available'
            """, ct);
        cache.Remove(ActiveStaffHandler.CacheKey(id));
        return TypedResults.NoContent();
    }

    static async Task<Results<NoContent, NotFound>> EnableStaff(Guid id, UserManager<AppUser> users, IMemoryCache cache)
    {
        if (await StaffAsync(users, id) is not { } user)
            return TypedResults.NotFound();
        await users.SetLockoutEndDateAsync(user, null);
        cache.Remove(ActiveStaffHandler.CacheKey(id));
        return TypedResults.NoContent();
    }

    static async Task<Results<NoContent, NotFound, ValidationProblem>> SetStaffPassword(
        Guid id, SetStaffPasswordRequest request, UserManager<AppUser> users)
    {
        if (await StaffAsync(users, id) is not { } user)
            return TypedResults.NotFound();
        // The reset token is made and spent here: the admin is the one who proved who they are.
        var result = await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), request.Password);
        return result.Succeeded
            ? TypedResults.NoContent()
            : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = [.. result.Errors.Select(e => e.Description)] });
    }

    /// <summary>Operators and admins only: owners' accounts are not the pool's.</summary>
    static async Task<AppUser?> StaffAsync(UserManager<AppUser> users, Guid id) =>
        await users.FindByIdAsync(id.ToString()) is { } user
        && (await users.IsInRoleAsync(user, Roles.Operator) || await users.IsInRoleAsync(user, Roles.Admin))
            ? user : null;
}

/// <summary>The Operator and Admin policies' check that the account has not been disabled since its token was made.</summary>
public sealed class ActiveStaffRequirement : IAuthorizationRequirement;

/// <summary>
/// Reads whether the account is disabled through a short per-instance cache, so a console request costs no extra
/// round trip; the instance that disables an account forgets its entry at once, the others within
/// <see cref="CheckEvery"/>.
/// </summary>
sealed class ActiveStaffHandler(IServiceScopeFactory scopes, IMemoryCache cache, TimeProvider clock)
    : AuthorizationHandler<ActiveStaffRequirement>
{
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(30);

    public static string CacheKey(Guid id) => $"staff-disabled:{id}";

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveStaffRequirement requirement)
    {
        if (!Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var id))
            return;
        var disabledUntil = await cache.GetOrCreateAsync(CacheKey(id), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CheckEvery;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            return await db.Users.Where(u => u.Id == id).Select(u => u.LockoutEnd).FirstOrDefaultAsync();
        });
        if (disabledUntil is not { } until || until <= clock.GetUtcNow())
            context.Succeed(requirement);
    }
}
