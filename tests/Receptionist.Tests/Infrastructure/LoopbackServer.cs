using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Receptionist.Tests.Infrastructure;

/// <summary>A real HTTP server on 127.0.0.1 and a free port, answering every request with one handler: the
/// far end of a provider (Twilio, Stripe) for the service under test.</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    readonly WebApplication server;

    LoopbackServer(WebApplication server) => this.server = server;

    public string BaseUrl => server.Urls.Single();

    public static async Task<LoopbackServer> StartAsync(RequestDelegate answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var server = builder.Build();
        server.Run(answer);
        await server.StartAsync();
        return new LoopbackServer(server);
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
