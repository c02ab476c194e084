using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Accounts;

public sealed record RegisterRequest(
    [property: Required, EmailAddress, MaxLength(256)] string Email,
    [property: Required, MinLength(8), MaxLength(128)] string Password,
    [property: MaxLength(100)] string? DisplayName = null,
    bool? PersonalDataConsent = null,
    bool? CallersDataAgreement = null) : IHasEmail;

public sealed record CreateStaffRequest(
    [property: Required, EmailAddress, MaxLength(256)] string Email,
    [property: Required, MinLength(8), MaxLength(128)] string Password,
    [property: Required, MaxLength(100)] string DisplayName,
    [property: Required, MaxLength(16)] string Role,
    [property: MaxLength(Queue.OperatorSkills.MaxLanguages), Queue.LanguageTags] string[]? Languages = null);

/// <summary>A member of the pool: the languages they answer in and the businesses they were trained for (set with
/// PUT /api/admin/staff/{id}), and <c>disabled</c> when an admin has disabled the account.</summary>
public sealed record StaffMember(Guid Id, string Email, string? DisplayName, string Role, string[]? Languages = null,
    bool Disabled = false, Guid[]? TrainedBusinessIds = null);

public static class AccountEndpoints
{
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddIdentityApiEndpoints<AppUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 8;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                // No lockout: it let anyone lock a known account and told them it existed ("LockedOut").
                // Guessing is throttled per client and per email instead (Throttling), for every email alike.
                options.Lockout.AllowedForNewUsers = false;
                options.Lockout.MaxFailedAccessAttempts = int.MaxValue;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddUserManager<AppUserManager>()
            .AddSignInManager<EvenSignInManager>();
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            // An API answers 401/403, it does not redirect to a login page.
            cookie.Events.OnRedirectToLogin = context => { context.Response.StatusCode = 401; return Task.CompletedTask; };
            cookie.Events.OnRedirectToAccessDenied = context => { context.Response.StatusCode = 403; return Task.CompletedTask; };
        });
        services.AddDataProtection().PersistKeysToDbContext<AppDbContext>().SetApplicationName("Receptionist");
        services.AddOptions<LegalOptions>().BindConfiguration("Legal").ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<AccountService>();
        // Identity's confirmation and reset emails, for real (its default sender drops them).
        services.AddScoped<AccountEmailSender>();
        services.AddSingleton<IEmailSender<AppUser>, IdentityEmailSender>();
        services.AddSingleton<OwnerEmails>();
        services.AddHostedService<RoleSeeder>();
        return services;
    }

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        // Every endpoint that takes an email is throttled per email; the sign-in family also per client address.
        var auth = app.MapGroup("/api/auth").WithTags("Accounts").RequireIdentityInputLimits().RequireAccountThrottle()
            .RequireRefreshTokenRotation();
        // Our register replaces Identity's own (Order wins the route) so that every sign-up becomes an Owner.
        auth.MapPost("/register", Register).WithName(nameof(Register)).WithOrder(-1).AllowAnonymous()
            .RequireRateLimiting(Throttling.AccountsPolicy).WithSummary("Create an owner account");
        // Identity's sign-in endpoints are public; its /manage endpoints carry their own RequireAuthorization.
        auth.MapIdentityApi<AppUser>().Finally(endpoint =>
        {
            if (!endpoint.Metadata.OfType<IAuthorizeData>().Any())
            {
                endpoint.Metadata.Add(new AllowAnonymousAttribute());
                endpoint.Metadata.Add(new EnableRateLimitingAttribute(Throttling.AccountsPolicy));
            }
        });

        // Any signed-in user may end their own cookie session (the pages use cookies; bearer tokens just expire).
        auth.MapPost("/logout", SignOut).WithName(nameof(SignOut)).RequireAuthorization().WithSummary("End the cookie session");

        var admin = app.MapGroup("/api/admin/staff").WithTags("Admin").RequireAuthorization(Policies.Admin);
        admin.MapPost("/", CreateStaff).WithName(nameof(CreateStaff)).WithSummary("Create an operator or admin account");
        admin.MapGet("/", ListStaff).WithName(nameof(ListStaff)).WithSummary("List operators and admins");
        admin.MapStaffAccess();
        return app;
    }

    /// <summary>An email that already has an account answers exactly like a new one; its owner is told by email.</summary>
    /// <remarks>
    /// The consent to personal-data processing is separate and explicit (152-FZ art. 9): without
    /// <c>personalDataConsent: true</c> nothing is created and the answer names the field.
    /// </remarks>
    static async Task<Results<Ok, ValidationProblem>> Register(
        RegisterRequest request, AccountService accounts, HttpContext http, CancellationToken ct)
    {
        if (request.PersonalDataConsent is not true)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["personalDataConsent"] = ["Consent to the processing of personal data is required to sign up."],
            });
        var errors = await accounts.RegisterOwnerAsync(request.Email, request.Password, request.DisplayName,
            request.CallersDataAgreement is true, http.Connection.RemoteIpAddress?.ToString(), ct);
        return errors.Count == 0 ? TypedResults.Ok() : TypedResults.ValidationProblem(errors);
    }

    static async Task<NoContent> SignOut(SignInManager<AppUser> signIn)
    {
        await signIn.SignOutAsync();
        return TypedResults.NoContent();
    }

    static async Task<Results<Created<StaffMember>, ValidationProblem>> CreateStaff(
        CreateStaffRequest request, AccountService accounts, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (Queue.OperatorSkills.Validate(request.Languages) is { Count: > 0 } languageErrors)
            return TypedResults.ValidationProblem(languageErrors);
        // "operator" and "Operator" mean the same; anything else is answered with the values that are allowed.
        string[] staffRoles = [Roles.Operator, Roles.Admin];
        if (staffRoles.FirstOrDefault(r => string.Equals(r, request.Role.Trim(), StringComparison.OrdinalIgnoreCase)) is not { } role)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["role"] = [$"Must be one of: {string.Join(", ", staffRoles)} (any case)."],
            });
        request = request with { Role = role };
        var (user, errors) = await accounts.CreateAsync(request.Email, request.Password, request.DisplayName, request.Role, ct);
        if (user is null)
            return TypedResults.ValidationProblem(errors);
        // Routing offers an operator the calls of the businesses whose language they speak (Russian unless told).
        string[]? languages = null;
        if (role == Roles.Operator)
        {
            languages = request.Languages ?? [Queue.OperatorPresence.DefaultLanguage];
            await Queue.OperatorSkills.SaveAsync(db, user.Id, languages, null, clock.GetUtcNow(), ct);
        }
        return TypedResults.Created($"/api/admin/staff/{user.Id}", new StaffMember(user.Id, request.Email, user.DisplayName, request.Role, languages));
    }

    static async Task<Ok<List<StaffMember>>> ListStaff(AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok(await (
            from user in db.Users
            join link in db.UserRoles on user.Id equals link.UserId
            join role in db.Roles on link.RoleId equals role.Id
            join presence in db.Set<Queue.OperatorPresence>() on user.Id equals presence.OperatorId into presences
            from presence in presences.DefaultIfEmpty()
            where role.Name == Roles.Operator || role.Name == Roles.Admin
            orderby user.Email
            select new StaffMember(user.Id, user.Email!, user.DisplayName, role.Name!, presence == null ? null : presence.Languages,
                user.LockoutEnd != null && user.LockoutEnd > now, presence == null ? null : presence.TrainedBusinessIds)).ToListAsync(ct));
    }
}
