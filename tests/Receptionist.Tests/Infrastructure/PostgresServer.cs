using Npgsql;
using Receptionist.Data;

[assembly: AssemblyFixture(typeof(Receptionist.Tests.Infrastructure.PostgresServer))]

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run: a private cluster from the machine's own binaries, or,
/// when <c>Tests__PostgresAdmin</c> names one (GitHub's service container), that server.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    readonly string directory = Path.Combine(Path.GetTempPath(), $"receptionist-tests-{Guid.NewGuid():N}");
    EmbeddedPostgres? embedded;
    string adminConnectionString = "";

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("Tests__PostgresAdmin");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            adminConnectionString = configured;
            return;
        }
        embedded = await EmbeddedPostgres.StartAsync(directory);
        adminConnectionString = embedded.ConnectionString("postgres");
    }

    /// <summary>A new, empty database: each test class gets its own.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(adminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (embedded is null)
            return;
        await embedded.DisposeAsync();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
