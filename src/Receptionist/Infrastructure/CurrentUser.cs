using System.Security.Claims;

namespace Receptionist.Infrastructure;

/// <summary>The signed-in user's id, for handlers that scope data to its owner or operator.</summary>
public sealed class CurrentUser(IHttpContextAccessor accessor)
{
    public Guid Id => Guid.Parse(accessor.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier)
        ?? throw new InvalidOperationException("No signed-in user on this request."));
}
