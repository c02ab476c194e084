using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Accounts;

/// <summary>
/// Makes sure the roles exist and, when Admin:Email and Admin:Password are both set, that the first
/// admin exists. Idempotent, and safe when several instances start together.
/// </summary>
sealed class RoleSeeder(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<RoleSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>();
        foreach (var role in Roles.All)
        {
            if (await roles.RoleExistsAsync(role))
                continue;
            try { await roles.CreateAsync(new IdentityRole<Guid>(role)); }
            catch (DbUpdateException) { /* another instance created it first */ }
        }

        var email = configuration["Admin:Email"];
        var password = configuration["Admin:Password"];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(password))
            return;
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        if (await users.FindByEmailAsync(email) is not null)
            return;
        var (_, errors) = await scope.ServiceProvider.GetRequiredService<AccountService>()
            .CreateAsync(email, password, "Admin", Roles.Admin, ct);
        if (errors.Count > 0)
            throw new InvalidOperationException(
                "Admin:Email/Admin:Password could not create the first admin: " +
                string.Join("; ", errors.SelectMany(e => e.Value)));
        logger.LogInformation("Created the first admin account {Email}", email);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
