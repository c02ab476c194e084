using System.Text.Json;
using System.Text.Json.Serialization;

namespace Receptionist.Infrastructure;

public static class JsonConventions
{
    /// <summary>Enums travel as camelCase names ("wrapUp", "notLive", "pastDue"), the same way everywhere.</summary>
    public static IServiceCollection AddJsonConventions(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));

    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum =>
        JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    /// <summary>Reads an enum from input by its name only (any case): unlike Enum.TryParse, "1" or "42" is no name.</summary>
    public static bool TryParseName<TEnum>(string? text, out TEnum value) where TEnum : struct, Enum
    {
        value = default;
        var match = Enum.GetNames<TEnum>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        return match is not null && Enum.TryParse(match, out value);
    }
}
