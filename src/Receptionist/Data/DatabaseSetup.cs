using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Receptionist.Data;

public static class DatabaseSetup
{
    /// <summary>
    /// One <see cref="NpgsqlDataSource"/> for the whole service: EF Core and the hot paths that talk to
    /// Npgsql directly share its pool. With no connection string, a private cluster under .data/ is started.
    /// Contexts are pooled: AppDbContext takes nothing but its options, and its one interceptor (the outbox's wake-up)
    /// keeps no state of its own, so a reused context is as good as a new one and the hot paths skip building one.
    /// </summary>
    public static WebApplicationBuilder AddDatabase(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DatabaseServer>();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<DatabaseServer>().DataSource);
        builder.Services.AddDbContextPool<AppDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(),
                npgsql => npgsql.MigrationsAssembly(typeof(AppDbContext).Assembly.GetName().Name))
            .UseSnakeCaseNamingConvention());
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);
        // Registered first so that every later hosted service finds the schema in place.
        builder.Services.AddHostedService<DatabaseMigrator>();
        return builder;
    }

    /// <summary>Applies pending migrations; several instances may start at once (EF Core takes a migration lock).</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        // On an empty database EF Core reads the history table before creating it and logs that as a failed
        // command: a newcomer's first start would show a "fail:" line for nothing. The table is made first.
        await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(ct);
        await db.Database.MigrateAsync(ct);
    }
}

sealed class DatabaseMigrator(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken ct) => services.MigrateDatabaseAsync(ct);
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Owns the connection: the configured one, or the embedded cluster it starts and later stops.</summary>
public sealed class DatabaseServer : IAsyncDisposable
{
    const string EmbeddedDatabaseName = "receptionist";
    readonly EmbeddedPostgres? embedded;

    public DatabaseServer(IConfiguration configuration, IHostEnvironment environment, ILogger<DatabaseServer> logger)
    {
        var connectionString = configuration.GetConnectionString("Default");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var directory = Path.Combine(environment.ContentRootPath, ".data", "postgres");
            // Start-up is synchronous by nature here: nothing can run before the database exists.
            embedded = EmbeddedPostgres.StartAsync(directory).GetAwaiter().GetResult();
            embedded.EnsureDatabaseAsync(EmbeddedDatabaseName).GetAwaiter().GetResult();
            connectionString = embedded.ConnectionString(EmbeddedDatabaseName);
            logger.LogInformation("Started the embedded PostgreSQL in {Directory} on port {Port}", directory, embedded.Port);
        }
        var source = new NpgsqlDataSourceBuilder(connectionString);
        // The hot statements (incoming call, claim, outbox pick-up) are planned once per connection instead of on every
        // call: planning cost more than running them. A connection string that sets its own value keeps it.
        if (source.ConnectionStringBuilder.MaxAutoPrepare == 0)
            source.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
        DataSource = source.Build();
    }

    const int AutoPreparedStatements = 128;

    public NpgsqlDataSource DataSource { get; }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (embedded is not null)
            await embedded.DisposeAsync();
    }
}
