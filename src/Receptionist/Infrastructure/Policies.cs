using Microsoft.AspNetCore.Authorization;

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
        services.AddAuthorizationBuilder()
            .AddPolicy(Owner, p => p.RequireRole(Roles.Owner))
            .AddPolicy(Operator, p => p.RequireRole(Roles.Operator))
            .AddPolicy(Admin, p => p.RequireRole(Roles.Admin))
            // An endpoint that forgot to name a policy is closed, not open.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return services;
    }
}
