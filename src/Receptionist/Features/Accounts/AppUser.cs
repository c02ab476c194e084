using Microsoft.AspNetCore.Identity;

namespace Receptionist.Features.Accounts;

public sealed class AppUser : IdentityUser<Guid>
{
    /// <summary>How operators are named to callers and in templates ("operator's first name").</summary>
    public string? DisplayName { get; set; }

    /// <summary>"Анна" of "Анна Петрова": how templates and emails name the operator.</summary>
    public static string? FirstNameOf(string? displayName) => displayName?.Split(' ', 2)[0];
}
