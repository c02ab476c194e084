using Microsoft.AspNetCore.Identity;

namespace Receptionist.Features.Accounts;

public sealed class AppUser : IdentityUser<Guid>
{
    /// <summary>How operators are named to callers and in templates ("operator's first name").</summary>
    public string? DisplayName { get; set; }
}
