namespace Receptionist.Tests.Infrastructure;

/// <summary>Another instance of the service on an existing instance's database, as when the service is scaled out.</summary>
public sealed class SecondInstance(PostgresServer postgres, ReceptionistApp first) : ReceptionistApp(postgres)
{
    protected override Task<string> CreateDatabaseAsync() => Task.FromResult(first.ConnectionString);
}

/// <summary>
/// Two instances of the service on one database: this fixture itself (with Twilio's fake and the test's clock)
/// and <see cref="Second"/> (the real clock, no provider), which share nothing but PostgreSQL.
/// </summary>
public sealed class ScaledOutApp(PostgresServer postgres) : CallsApp(postgres)
{
    SecondInstance? second;

    public SecondInstance Second => second ?? throw new InvalidOperationException("The second instance has not started.");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        second = new SecondInstance(Postgres, this);
        await second.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        if (second is not null)
            await second.DisposeAsync();
        await base.DisposeAsync();
    }
}
