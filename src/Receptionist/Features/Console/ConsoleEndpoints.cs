using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Console;

/// <summary>
/// The operator console: the page itself is static (wwwroot/console, served at /console), and this pushes queue
/// changes to it as server-sent events. Events are: <c>ready</c> (subscribed; fetch the queue now),
/// <c>queue</c> (a <see cref="QueueChange"/>), <c>resync</c> (changes may have been missed; fetch again) and
/// <c>heartbeat</c> (keeps proxies from closing an idle stream; .NET's SSE writer has no comment lines).
/// </summary>
public static class ConsoleEndpoints
{
    static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddSingleton<ConsoleEventHub>();
        services.AddHostedService<QueueNotificationListener>();
        return services;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup("/api/console").WithTags("Console").RequireAuthorization(Policies.Operator);
        console.MapGet("/events", QueueEvents).WithName(nameof(QueueEvents))
            .WithSummary("Server-sent events: one whenever the shared queue changes, on any instance");
        return app;
    }

    static ServerSentEventsResult<string> QueueEvents(ConsoleEventHub hub, CancellationToken ct) =>
        TypedResults.ServerSentEvents(StreamAsync(hub, ct));

    internal static async IAsyncEnumerable<SseItem<string>> StreamAsync(ConsoleEventHub hub, [EnumeratorCancellation] CancellationToken ct)
    {
        using var subscription = hub.Subscribe();
        await hub.WhenListeningAsync(ct);
        yield return new SseItem<string>("{}", "ready");
        while (!ct.IsCancellationRequested)
        {
            // Real time on purpose: the heartbeat is about the connection, not the business clock.
            using var beat = CancellationTokenSource.CreateLinkedTokenSource(ct);
            beat.CancelAfter(Heartbeat);
            bool more;
            try
            {
                more = await subscription.Reader.WaitToReadAsync(beat.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                more = true;
            }
            if (!more)
                yield break;
            if (!subscription.Reader.TryPeek(out _))
                yield return new SseItem<string>("{}", "heartbeat");
            while (subscription.Reader.TryRead(out var e))
                yield return new SseItem<string>(e.Change is null ? "{}" : JsonSerializer.Serialize(e.Change, JsonSerializerOptions.Web), e.Type);
        }
    }
}
