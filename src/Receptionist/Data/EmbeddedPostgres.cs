using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Receptionist.Data;

/// <summary>
/// A private PostgreSQL cluster started from the machine's own binaries (initdb, pg_ctl).
/// Used when no connection string is configured, and by the test suite (one cluster per run).
/// PostgreSQL refuses to run as root, so as root the binaries run as the <c>postgres</c> user.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    const string SuperUser = "app";

    readonly string dataDirectory;
    readonly string binDirectory;
    readonly bool runAsPostgresUser;

    EmbeddedPostgres(string dataDirectory, string binDirectory, int port)
    {
        this.dataDirectory = dataDirectory;
        this.binDirectory = binDirectory;
        Port = port;
        runAsPostgresUser = Environment.UserName == "root";
    }

    public int Port { get; }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Database = database,
    }.ConnectionString;

    /// <summary>Initialises the data directory when it is new, then starts the server on a free loopback port.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(string dataDirectory, CancellationToken ct = default)
    {
        var server = new EmbeddedPostgres(Path.GetFullPath(dataDirectory), FindBinaries(), FreeLoopbackPort());
        await server.InitialiseAsync(ct);
        await server.StopLeftoverServerAsync(ct);
        await server.RunAsync("pg_ctl", ct,
            "-D", server.dataDirectory, "-l", Path.Combine(server.dataDirectory, "server.log"), "-w", "-t", "60",
            "-o", $"-p {server.Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=300",
            "start");
        return server;
    }

    /// <summary>Creates the database when it does not exist yet.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = database } },
        };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync("pg_ctl", CancellationToken.None, "-D", dataDirectory, "-m", "fast", "-w", "stop");
    }

    async Task InitialiseAsync(CancellationToken ct)
    {
        try
        {
            Directory.CreateDirectory(dataDirectory);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new Infrastructure.StartupException(
                $"The embedded PostgreSQL's data folder {dataDirectory} cannot be created ({e.Message}). " +
                "Run from a folder you can write to, or set ConnectionStrings__Default.", e);
        }
        if (runAsPostgresUser)
        {
            await RunProcessAsync("chown", ["-R", "postgres:postgres", dataDirectory], ct);
            try
            {
                await RunProcessAsync("runuser", ["-u", "postgres", "--", "test", "-w", dataDirectory], ct);
            }
            catch (InvalidOperationException)
            {
                throw new Infrastructure.StartupException(
                    $"The postgres user cannot reach {dataDirectory}: a parent folder is closed to other users " +
                    "(e.g. /root is 0700). Clone the project under a readable folder, or set ConnectionStrings__Default.");
            }
        }
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            return;
        await RunAsync("initdb", ct, "-D", dataDirectory, "-U", SuperUser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8");
    }

    /// <summary>A previous run that was killed without shutting down leaves its server running on this folder: stop it.</summary>
    async Task StopLeftoverServerAsync(CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
            return;
        try
        {
            await RunAsync("pg_ctl", ct, "-D", dataDirectory, "status");
        }
        catch (InvalidOperationException)
        {
            return; // a stale pid file only: pg_ctl start copes with that
        }
        await RunAsync("pg_ctl", ct, "-D", dataDirectory, "-m", "fast", "-w", "stop");
    }

    Task RunAsync(string tool, CancellationToken ct, params string[] arguments)
    {
        var executable = Path.Combine(binDirectory, tool);
        return runAsPostgresUser
            ? RunProcessAsync("runuser", ["-u", "postgres", "--", executable, .. arguments], ct)
            : RunProcessAsync(executable, arguments, ct);
    }

    static async Task RunProcessAsync(string fileName, IEnumerable<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The server inherits no working directory it could not read as the postgres user.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await error}{await output}");
    }

    static string FindBinaries()
    {
        var fromPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(directory => File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl")));
        var fromDebian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(v => int.TryParse(Path.GetFileName(v), out var major) ? major : 0)
                .Select(v => Path.Combine(v, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
            : [];
        return fromPath.Concat(fromDebian).FirstOrDefault()
            ?? throw new Infrastructure.StartupException(
                "No connection string is set (ConnectionStrings__Default) and no PostgreSQL server binaries " +
                "(initdb, pg_ctl) were found on PATH or under /usr/lib/postgresql/*/bin. Install them " +
                "(Debian: apt-get install postgresql) or set ConnectionStrings__Default to a PostgreSQL database.");
    }

    static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
