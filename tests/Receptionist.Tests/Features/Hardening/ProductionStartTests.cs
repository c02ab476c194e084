using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>The built application run as a process, the way the image runs it: Production, configuration from the environment.</summary>
public sealed class ProductionStartTests(PostgresServer postgres)
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The app's own build output (src/Receptionist/bin/…), next to this test build's configuration.</summary>
    static string AppDll()
    {
        var testBin = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(testBin);
        var configuration = Path.GetFileName(Path.GetDirectoryName(testBin)!);
        for (var dir = new DirectoryInfo(testBin); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Receptionist", "bin", configuration, framework, "Receptionist.dll");
            if (File.Exists(Path.Combine(dir.FullName, "Receptionist.sln")) && File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException("The built Receptionist.dll was not found beside the solution.");
    }

    static async Task<(int ExitCode, string Output)> RunAsync(IDictionary<string, string?> environment, params string[] args)
    {
        var dll = AppDll();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg == "{dll}" ? dll : arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                     || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings", StringComparison.Ordinal)
                     || k.StartsWith("App__", StringComparison.Ordinal) || k.StartsWith("Legal__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_HTTP_PORTS"] = "0";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`dotnet {string.Join(' ', args)}` did not exit within 90 s:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task ProductionWithoutAConnectionStringStopsWithOneClearLine()
    {
        var (exitCode, output) = await RunAsync(new Dictionary<string, string?> { ["App__PublicBaseUrl"] = "https://receptionist.example" }, "{dll}");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ConnectionStrings__Default", output);
        Assert.DoesNotContain("   at ", output); // no stack trace
        Assert.DoesNotContain("embedded PostgreSQL", output);
    }

    [Fact]
    public async Task ProductionWithoutAPublicBaseUrlStopsWithOneClearLine()
    {
        var (exitCode, output) = await RunAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Default"] = await postgres.CreateDatabaseAsync(),
        }, "{dll}");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("App__PublicBaseUrl", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task ProductionWithoutTheLegalContactAndOperatorStopsWithOneClearLine()
    {
        var (exitCode, output) = await RunAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Default"] = await postgres.CreateDatabaseAsync(),
            ["App__PublicBaseUrl"] = "https://receptionist.example",
        }, "{dll}");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Legal__ContactEmail", output);
        Assert.Contains("Legal__OperatorName", output);
        Assert.DoesNotContain("   at ", output);
    }

    /// <summary>What Production needs besides the database: the public URL and whom the legal pages name.</summary>
    static readonly Dictionary<string, string?> PublicSettings = new()
    {
        ["App__PublicBaseUrl"] = "https://receptionist.example",
        ["Legal__ContactEmail"] = "privacy@receptionist.example",
        ["Legal__OperatorName"] = "ООО «Ресепшионист»",
    };

    [Fact]
    public async Task APortAlreadyInUseStopsTheStartWithOneReadableLine()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, output) = await RunAsync(new Dictionary<string, string?>(PublicSettings)
        {
            ["ConnectionStrings__Default"] = await postgres.CreateDatabaseAsync(),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        }, "{dll}");

        Assert.NotEqual(0, exitCode);
        // Found before the host starts, so the host never logs its own failure with a stack trace.
        Assert.Contains("Choose another port", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("crit:", output);
        Assert.DoesNotContain("fail: Microsoft.EntityFrameworkCore", output); // an empty database is no failure
    }

    /// <summary>
    /// fly.toml's release command is "dotnet Receptionist.dll migrate". A platform that replaces the image's entrypoint
    /// runs exactly that; one that keeps the entrypoint ("dotnet Receptionist.dll") appends it as arguments. Both migrate and exit.
    /// </summary>
    [Theory]
    [InlineData("entrypoint replaced", new[] { "{dll}", "migrate" })]
    [InlineData("entrypoint kept", new[] { "{dll}", "dotnet", "Receptionist.dll", "migrate" })]
    public async Task TheReleaseStepMigratesAndExitsWhetherOrNotThePlatformKeepsTheEntrypoint(string platform, string[] args)
    {
        var connectionString = await postgres.CreateDatabaseAsync();

        var (exitCode, output) = await RunAsync(new Dictionary<string, string?>(PublicSettings)
        {
            ["ConnectionStrings__Default"] = connectionString,
        }, args);

        Assert.True(exitCode == 0, $"{platform}: exit {exitCode}\n{output}");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var applied = new NpgsqlCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"", connection);
        Assert.True((long)(await applied.ExecuteScalarAsync(Ct))! >= 1, platform);
    }
}

public sealed class StaffRoleTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("operator", "Operator")]
    [InlineData("ADMIN", "Admin")]
    public async Task StaffRolesAreAcceptedInAnyCase(string given, string stored)
    {
        var admin = await app.AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/admin/staff",
            new { email = $"staff-{Guid.NewGuid():N}@example.com", password = "staff-password-1", displayName = "Анна", role = given }, Ct);

        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(stored, (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("role").GetString());
    }

    [Fact]
    public async Task AnUnknownRoleIsRefusedNamingTheAllowedValues()
    {
        var admin = await app.AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/admin/staff",
            new { email = $"staff-{Guid.NewGuid():N}@example.com", password = "staff-password-1", displayName = "Анна", role = "boss" }, Ct);

        var errors = await response.AssertValidationProblemAsync();
        Assert.Contains("Operator", errors["role"][0]);
        Assert.Contains("Admin", errors["role"][0]);
    }
}
