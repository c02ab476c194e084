using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Receptionist.Tests.Infrastructure;

/// <summary>The service under test on its own fresh database in the shared cluster.</summary>
public class ReceptionistApp(PostgresServer postgres) : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@receptionist.test";
    public const string AdminPassword = "admin-password-1";
    public const string OperatorPassword = "operator-password-1";

    public string ConnectionString { get; private set; } = "";

    readonly string pickupDirectory = Path.Combine(Path.GetTempPath(), $"receptionist-mail-{Guid.NewGuid():N}");

    protected PostgresServer Postgres { get; } = postgres;

    /// <summary>Serve on a real loopback port (Kestrel) rather than in memory: for the browser, and for streams.</summary>
    protected virtual bool OnRealPort => false;

    /// <summary>Where the app listens; a real URL only when <see cref="OnRealPort"/>.</summary>
    public string BaseUrl => ClientOptions.BaseAddress.ToString().TrimEnd('/');

    public virtual async ValueTask InitializeAsync()
    {
        ConnectionString = await CreateDatabaseAsync();
        if (OnRealPort)
            UseKestrel(0);
        // Starting the host applies migrations and seeds roles and the admin before any test runs.
        StartServer();
    }

    /// <summary>A fresh database per fixture; a second instance of the service reuses the first one's instead.</summary>
    protected virtual Task<string> CreateDatabaseAsync() => Postgres.CreateDatabaseAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // As in Development (dotnet run): a scoped service resolved from the root provider fails here too.
        builder.UseDefaultServiceProvider(o => o.ValidateScopes = true);
        builder.UseSetting("ConnectionStrings:Default", ConnectionString);
        builder.UseSetting("Admin:Email", AdminEmail);
        builder.UseSetting("Admin:Password", AdminPassword);
        // Every test client shares one address and signs up many owners: throttling has its own tests.
        foreach (var limit in new[] { "AccountsPerClient", "AccountsPerEmail", "TemplatesPerOwner" })
            builder.UseSetting($"Throttling:{limit}:PermitLimit", "100000");
        // Mail without an SMTP server goes to a folder of this fixture, never to the developer's .data/mail.
        builder.UseSetting("Smtp:PickupDirectory", pickupDirectory);
        // Tests write calls into the past and read reports at once: the rollup of closed hours runs only when a test
        // runs it (MetricsRollupTests), never on a timer behind another test's back.
        builder.UseSetting("Metrics:RollupInterval", "00:00:00");
        foreach (var (key, value) in Settings())
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(ConfigureServices);
    }

    /// <summary>Replacements a fixture needs (a fake clock, ...); the far ends of real systems are replaced, not our interfaces.</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    /// <summary>Runs one SQL statement against this app's database and returns the first column of the first row.</summary>
    public async Task<T?> ScalarAsync<T>(string sql, params object?[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>Extra configuration a fixture for one feature needs (provider endpoints, clocks, ...).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings() => [];

    public async Task<HttpClient> SignInAsync(string email, string password)
    {
        var client = CreateClient();
        var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<AccessTokenResponse>())!.AccessToken;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Registers a new owner with a unique email and returns a client signed in as them.</summary>
    public async Task<HttpClient> NewOwnerAsync()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        const string password = "owner-password-1";
        (await CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password, personalDataConsent = true })).EnsureSuccessStatusCode();
        return await SignInAsync(email, password);
    }

    public Task<HttpClient> AdminAsync() => SignInAsync(AdminEmail, AdminPassword);

    /// <summary>Creates an operator through the admin API and returns a client signed in as them.</summary>
    public async Task<(HttpClient Client, string Email)> NewOperatorAsync(string displayName = "Анна")
    {
        var email = $"operator-{Guid.NewGuid():N}@example.com";
        var admin = await AdminAsync();
        (await admin.PostAsJsonAsync("/api/admin/staff", new { email, password = OperatorPassword, displayName, role = "Operator" }))
            .EnsureSuccessStatusCode();
        return (await SignInAsync(email, OperatorPassword), email);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(pickupDirectory, recursive: true); } catch (DirectoryNotFoundException) { }
        GC.SuppressFinalize(this);
    }

    sealed record AccessTokenResponse(string AccessToken);
}
