using Microsoft.Extensions.DependencyInjection;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// The service with push routing on: calls are offered to operators. The routing timer is the test's (RouteAsync after
/// moving the clock); passes woken by changes still run on their own, as they do in production.
/// </summary>
public class RoutingApp(PostgresServer postgres) : CallsApp(postgres)
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Routing:Push", "true"), new("Routing:SweepInterval", "01:00:00")];

    /// <summary>One routing pass, as an instance's timer would run it.</summary>
    public Task<int> RouteAsync() =>
        Services.GetRequiredService<Receptionist.Features.Queue.CallRouter>().RunOnceAsync(TestContext.Current.CancellationToken);

    /// <summary>Nobody available and nothing waiting: each test starts from its own operators and calls.</summary>
    public async Task ResetAsync()
    {
        await ClearQueueAsync();
        await ScalarAsync<object>("UPDATE operator_presence SET state = 'Offline' WHERE state <> 'Offline'");
    }
}
