using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Receptionist.Features.Accounts;

/// <summary>
/// Identity's user manager with ids read the way a request may send them: confirmEmail?userId=x is an unknown
/// user (Identity answers 401), not a FormatException (500).
/// </summary>
public sealed class AppUserManager(
    IUserStore<AppUser> store, IOptions<IdentityOptions> options, IPasswordHasher<AppUser> hasher,
    IEnumerable<IUserValidator<AppUser>> userValidators, IEnumerable<IPasswordValidator<AppUser>> passwordValidators,
    ILookupNormalizer normalizer, IdentityErrorDescriber errors, IServiceProvider services, ILogger<UserManager<AppUser>> logger)
    : UserManager<AppUser>(store, options, hasher, userValidators, passwordValidators, normalizer, errors, services, logger)
{
    public override Task<AppUser?> FindByIdAsync(string userId) =>
        Guid.TryParse(userId, out _) ? base.FindByIdAsync(userId) : Task.FromResult<AppUser?>(null);
}

/// <summary>
/// Sign-in that answers an unknown email after the same work as a wrong password (a password hash is verified
/// either way) and with the same result, so neither timing nor the answer says whether an account exists.
/// </summary>
public sealed class EvenSignInManager(
    UserManager<AppUser> users, IHttpContextAccessor context, IUserClaimsPrincipalFactory<AppUser> claims,
    IOptions<IdentityOptions> options, ILogger<SignInManager<AppUser>> logger, IAuthenticationSchemeProvider schemes,
    IUserConfirmation<AppUser> confirmation)
    : SignInManager<AppUser>(users, context, claims, options, logger, schemes, confirmation)
{
    static string? decoyHash;

    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var user = await UserManager.FindByNameAsync(userName);
        if (user is null)
        {
            var decoy = new AppUser();
            decoyHash ??= UserManager.PasswordHasher.HashPassword(decoy, Guid.NewGuid().ToString());
            UserManager.PasswordHasher.VerifyHashedPassword(decoy, decoyHash, password);
            return SignInResult.Failed;
        }
        var result = await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure: false);
        // "LockedOut" and "NotAllowed" would each say the account exists.
        return result.IsLockedOut || result.IsNotAllowed ? SignInResult.Failed : result;
    }
}
