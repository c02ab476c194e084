using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Accounts;

/// <summary>Creates users with exactly one role, all or nothing.</summary>
public sealed class AccountService(
    UserManager<AppUser> users, AppDbContext db, EmailTemplates templates, AccountEmailSender accountEmails,
    IOptions<AppOptions> app, IOptions<LegalOptions> legal, TimeProvider clock)
{
    /// <returns>Field errors keyed by the request's JSON names; empty on success.</returns>
    public async Task<(AppUser? User, Dictionary<string, string[]> Errors)> CreateAsync(
        string email, string password, string? displayName, string role, CancellationToken ct)
    {
        var (user, errors) = await TryCreateAsync(email, password, displayName, role, ct);
        return (user, ToFieldErrors(errors));
    }

    /// <summary>
    /// Sign-up that tells nobody whether the email has an account: an existing one answers like a new one (after
    /// the same password checks and the same hashing work), and its owner gets an email saying someone tried.
    /// </summary>
    /// <param name="clientAddress">Recorded with the consent, as proof of who gave it.</param>
    public async Task<Dictionary<string, string[]>> RegisterOwnerAsync(string email, string password, string? displayName,
        bool callersDataAgreement, string? clientAddress, CancellationToken ct)
    {
        var candidate = new AppUser { UserName = email, Email = email };
        var passwordErrors = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators)
            if (await validator.ValidateAsync(users, candidate, password) is { Succeeded: false } failed)
                passwordErrors.AddRange(failed.Errors);
        if (passwordErrors.Count > 0)
            return ToFieldErrors(passwordErrors);

        var existing = await users.FindByEmailAsync(email);
        if (existing is null)
        {
            var (user, errors) = await TryCreateAsync(email, password, displayName, Roles.Owner, ct, async created =>
            {
                // The consent and the confirmation email commit with the account, or none of them does.
                db.Add(new PersonalDataConsent
                {
                    UserId = created.Id, GivenAt = clock.GetUtcNow(), PolicyVersion = legal.Value.PolicyVersion,
                    ClientAddress = clientAddress, ProcessesCallersData = callersDataAgreement,
                });
                accountEmails.AddConfirmation(created, AccountEmailSender.EncodeToken(await users.GenerateEmailConfirmationTokenAsync(created)));
                await db.SaveChangesAsync(ct);
            });
            if (user is not null)
                return [];
            if (!errors.Any(e => e.Code is nameof(IdentityErrorDescriber.DuplicateEmail) or nameof(IdentityErrorDescriber.DuplicateUserName)))
                return ToFieldErrors(errors);
            // Registered by a concurrent request a moment ago.
            existing = await users.FindByEmailAsync(email);
        }
        else
            users.PasswordHasher.HashPassword(candidate, password); // the work a creation would have done

        if (existing?.Email is { } address)
        {
            var content = templates.Render("account-exists", new { email = address, sign_in_url = app.Value.Url(OwnerEmails.CabinetPath).AbsoluteUri });
            db.Add(OutboxMessage.Email(EmailMessage.Create([address], content), clock.GetUtcNow()));
            await db.SaveChangesAsync(ct);
        }
        return [];
    }

    async Task<(AppUser? User, IEnumerable<IdentityError> Errors)> TryCreateAsync(
        string email, string password, string? displayName, string role, CancellationToken ct, Func<AppUser, Task>? beforeCommit = null)
    {
        var user = new AppUser { UserName = email, Email = email, DisplayName = displayName?.Trim() };
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var result = await users.CreateAsync(user, password);
        if (result.Succeeded)
            result = await users.AddToRoleAsync(user, role);
        if (!result.Succeeded)
            return (null, result.Errors);
        if (beforeCommit is not null)
            await beforeCommit(user);
        await transaction.CommitAsync(ct);
        return (user, []);
    }

    /// <summary>Identity reports codes such as PasswordTooShort or DuplicateEmail; clients need the field.</summary>
    static Dictionary<string, string[]> ToFieldErrors(IEnumerable<IdentityError> errors) => errors
        .GroupBy(e => e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : "email")
        .ToDictionary(g => g.Key, g => g.Select(e => e.Description).Distinct().ToArray());
}
