namespace Receptionist.Tests.Infrastructure;

/// <summary>The service on a real loopback port (Kestrel), for the browser.</summary>
public class LiveReceptionistApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    protected override bool OnRealPort => true;
}
