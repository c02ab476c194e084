using Microsoft.AspNetCore.Authorization;
using Receptionist.Features.Accounts;

namespace Receptionist.Infrastructure;

public static class Roles
{
    public const string Owner = "Owner";
    public const string Operator = "Operator";
    public const string Admin = "Admin";
    public static readonly string[] All = [Owner, Operator, Admin];
}

/// <summary>One policy per role; every endpoint group names one (or AllowAnonymous for webhooks and health).</summary>
public static class Policies
{
    public const string Owner = nameof(Owner);
    public const string Operator = nameof(Operator);
    public const string Admin = nameof(Admin);

    public static IServiceCollection AddRolePolicies(this IServiceCollection services)
    {
        services.AddMemoryCache();
        services.AddSingleton<IAuthorizationHandler, ActiveStaffHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Owner, p => p.RequireRole(Roles.Owner))
            // Staff accounts can be disabled by an admin; a token made before that stops passing.
            .AddPolicy(Operator, p => p.RequireRole(Roles.Operator).AddRequirements(new ActiveStaffRequirement()))
            .AddPolicy(Admin, p => p.RequireRole(Roles.Admin).AddRequirements(new ActiveStaffRequirement()))
            // An endpoint that forgot to name a policy is closed, not open.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return services;
    }
}
