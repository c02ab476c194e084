using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace Receptionist.Features.Accounts;

/// <summary>
/// Identity's own request records (login, reset, 2FA, manage/info) carry no length limits; ours do. A megabyte
/// email should be refused naming the field like every other over-long string, not hashed or looked up.
/// </summary>
static class IdentityInputLimits
{
    public const int EmailLength = 256;
    public const int PasswordLength = 128;
    public const int OtherLength = 2048; // reset codes and refresh tokens are a few hundred characters

    static readonly ConcurrentDictionary<Type, PropertyInfo[]> Strings = new();

    public static TBuilder RequireIdentityInputLimits<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var errors = new Dictionary<string, string[]>();
            foreach (var argument in context.Arguments)
            {
                if (argument?.GetType() is not { Namespace: "Microsoft.AspNetCore.Identity.Data" } type)
                    continue;
                foreach (var property in Strings.GetOrAdd(type, t => [.. t.GetProperties().Where(p => p.PropertyType == typeof(string))]))
                {
                    var limit = property.Name.Contains("Email", StringComparison.Ordinal) ? EmailLength
                        : property.Name.Contains("Password", StringComparison.Ordinal) ? PasswordLength
                        : OtherLength;
                    if (property.GetValue(argument) is string { Length: var length } && length > limit)
                        errors[JsonNamingPolicy.CamelCase.ConvertName(property.Name)] = [$"Must be at most {limit} characters."];
                }
            }
            return errors.Count == 0 ? await next(context) : TypedResults.ValidationProblem(errors);
        });
}
