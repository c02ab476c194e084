namespace Receptionist.Infrastructure;

/// <summary>
/// What must be decided before anything starts: settings Production cannot run without, and which command the
/// process was started for. A failure is one readable line on standard error and a non-zero exit.
/// </summary>
public static class StartupChecks
{
    /// <summary>
    /// In Production the embedded cluster would silently keep customer data on a machine's disk, a default public
    /// base URL would make every provider webhook fail its signature check, and the legal contact and operator
    /// would be placeholders: all must be set.
    /// </summary>
    public static string? ProductionSettingsMissing(WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsProduction())
            return null;
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Default")))
            missing.Add("ConnectionStrings__Default (the PostgreSQL connection string)");
        var publicBase = builder.Configuration["App:PublicBaseUrl"];
        if (string.IsNullOrWhiteSpace(publicBase))
            missing.Add("App__PublicBaseUrl (the public https:// URL that webhooks and links use)");
        else if (!Uri.TryCreate(publicBase, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            missing.Add($"App__PublicBaseUrl as an https:// URL (it is '{publicBase}')");
        // The law (152-FZ) wants the policy to name who processes the data and how to reach them: the development
        // placeholders must never be published.
        if (string.IsNullOrWhiteSpace(builder.Configuration["Legal:ContactEmail"]))
            missing.Add("Legal__ContactEmail (the contact on the front door, the privacy policy and the terms)");
        if (string.IsNullOrWhiteSpace(builder.Configuration["Legal:OperatorName"]))
            missing.Add("Legal__OperatorName (the legal entity that processes personal data)");
        return missing.Count == 0
            ? null
            : "Receptionist cannot start in Production without " + string.Join(" and ", missing) +
              ". Set it in the environment (fly secrets set …), or run with ASPNETCORE_ENVIRONMENT=Development for the embedded database.";
    }

    /// <summary>
    /// A port the configured URLs (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>) name that another
    /// process holds, found before the host starts: the host itself would log its failure with a stack trace first.
    /// Null when every port is free (a race after this check still ends in <see cref="OneLine"/>).
    /// </summary>
    public static string? PortInUse(IConfiguration configuration)
    {
        var endpoints = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(url => BindingAddress.Parse(url.Replace("*", "0.0.0.0").Replace("+", "0.0.0.0")))
            .Select(a => (a.Host, a.Port))
            .Concat((configuration["http_ports"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => ("0.0.0.0", int.TryParse(p, out var port) ? port : 0)));
        foreach (var (host, port) in endpoints)
        {
            if (port <= 0)
                continue;
            var address = host == "localhost" ? System.Net.IPAddress.Loopback
                : System.Net.IPAddress.TryParse(host, out var parsed) ? parsed : null;
            if (address is null)
                continue;
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(address, port);
                probe.Start();
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                return $"Port {port} on {host} is already in use. {ChoosePort}";
            }
        }
        return null;
    }

    const string ChoosePort = "Choose another port: dotnet run --project src/Receptionist --urls http://localhost:5090 (or set ASPNETCORE_URLS).";

    /// <summary>
    /// The one line to print when the service cannot start for a reason the person starting it can fix (no PostgreSQL
    /// binaries, an unreachable data folder, a port in use); null for anything else, which keeps its stack trace.
    /// </summary>
    public static string? OneLine(Exception e) => e switch
    {
        StartupException startup => startup.Message,
        IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException } io =>
            $"{io.Message} {ChoosePort}",
        AggregateException { InnerExceptions: [var only] } => OneLine(only),
        _ => null,
    };

    /// <summary>
    /// The release step: "migrate" alone (the platform replaced the image's command), or the image's own
    /// entrypoint followed by the release command ("dotnet Receptionist.dll migrate" handed to an entrypoint
    /// that is already "dotnet Receptionist.dll"), which some platforms do.
    /// </summary>
    public static bool IsMigrateCommand(string[] args) =>
        args.Length > 0 && args[^1] == "migrate"
        && args[..^1].All(a => a == "dotnet" || Path.GetFileName(a).Equals("Receptionist.dll", StringComparison.OrdinalIgnoreCase));
}

/// <summary>The service cannot start, for a reason its message explains in one line.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
