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
}
