using Microsoft.AspNetCore.Identity;
using Receptionist.Data;

namespace Receptionist.Features.Accounts;

/// <summary>Creates users with exactly one role, all or nothing.</summary>
public sealed class AccountService(UserManager<AppUser> users, AppDbContext db)
{
    /// <returns>Field errors keyed by the request's JSON names; empty on success.</returns>
    public async Task<(AppUser? User, Dictionary<string, string[]> Errors)> CreateAsync(
        string email, string password, string? displayName, string role, CancellationToken ct)
    {
        var user = new AppUser { UserName = email, Email = email, DisplayName = displayName?.Trim() };
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var result = await users.CreateAsync(user, password);
        if (result.Succeeded)
            result = await users.AddToRoleAsync(user, role);
        if (!result.Succeeded)
            return (null, ToFieldErrors(result.Errors));
        await transaction.CommitAsync(ct);
        return (user, []);
    }

    /// <summary>Identity reports codes such as PasswordTooShort or DuplicateEmail; clients need the field.</summary>
    static Dictionary<string, string[]> ToFieldErrors(IEnumerable<IdentityError> errors) => errors
        .GroupBy(e => e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : "email")
        .ToDictionary(g => g.Key, g => g.Select(e => e.Description).Distinct().ToArray());
}
