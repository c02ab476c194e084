namespace Receptionist.Tests.Infrastructure;

/// <summary>The service on a real loopback port (Kestrel), for the browser and for a second instance.</summary>
public class LiveReceptionistApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    public string BaseUrl => ClientOptions.BaseAddress.ToString().TrimEnd('/');

    public override async ValueTask InitializeAsync()
    {
        UseKestrel(0);
        await base.InitializeAsync();
    }
}
