using System.ComponentModel.DataAnnotations;

namespace Receptionist.Infrastructure;

/// <summary>Settings of the service as the outside world sees it (section "App").</summary>
public sealed class AppOptions
{
    /// <summary>
    /// The externally visible URL of the application root (behind proxies, the public one).
    /// Links and provider webhooks are built from it, and webhook signatures are checked against it.
    /// </summary>
    [Required, Url]
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";

    /// <summary>The public URL of a path (with its query string, if any) of this application.</summary>
    public Uri Url(string pathAndQuery) => new(PublicBaseUrl.TrimEnd('/') + pathAndQuery);
}

public static class AppConfiguration
{
    public static IServiceCollection AddAppOptions(this IServiceCollection services)
    {
        services.AddOptions<AppOptions>().BindConfiguration("App").ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
