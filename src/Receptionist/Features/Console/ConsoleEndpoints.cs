using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Receptionist.Features.Calls;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Console;

/// <summary>
/// The operator console: the page itself is static (wwwroot/console, served at /console), and this pushes queue
/// changes to it as server-sent events. Events are: <c>ready</c> (subscribed; fetch the queue now),
/// <c>queue</c> (a <see cref="QueueEvent"/>: the console updates its list from it alone), <c>resync</c> (changes may
/// have been missed; fetch again) and <c>heartbeat</c> (keeps proxies from closing an idle stream; .NET's SSE writer
/// has no comment lines). The queue itself is served from this instance's <see cref="QueueSnapshot"/>.
/// </summary>
public static class ConsoleEndpoints
{
    static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddSingleton<ConsoleEventHub>();
        services.AddSingleton<QueueSnapshot>();
        services.AddHostedService<QueueNotificationListener>();
        return services;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup("/api/console").WithTags("Console").RequireAuthorization(Policies.Operator);
        console.MapGet("/queue", ListWaitingCalls).WithName(nameof(ListWaitingCalls))
            .WithSummary("Calls waiting across all businesses, oldest first, with the answer SLA counting down");
        console.MapGet("/events", QueueEvents).WithName(nameof(QueueEvents))
            .WithSummary("Server-sent events: one whenever the shared queue changes, on any instance");
        return app;
    }

    const int QueueShown = 200;

    static async Task<Ok<List<WaitingCall>>> ListWaitingCalls(QueueSnapshot snapshot, CancellationToken ct) =>
        TypedResults.Ok(await snapshot.OldestAsync(QueueShown, ct));

    static ServerSentEventsResult<string> QueueEvents(ConsoleEventHub hub, CurrentUser me, CancellationToken ct) =>
        TypedResults.ServerSentEvents(StreamAsync(hub, ct, me.Id));

    /// <param name="operatorId">The operator whose console listens: their state changes come too (<c>presence</c>).</param>
    internal static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        ConsoleEventHub hub, [EnumeratorCancellation] CancellationToken ct, Guid? operatorId = null)
    {
        using var subscription = hub.Subscribe(operatorId);
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
                yield return new SseItem<string>(e.Data, e.Type);
            if (subscription.TakeMissed())
                yield return new SseItem<string>(ConsoleEvent.ResyncEvent.Data, ConsoleEvent.Resync);
        }
    }
}

/// <summary>
/// A <c>queue</c> event as sent: the change, and the wait and SLA as of its arrival on the instance (the same numbers
/// <c>GET /api/console/queue</c> gives), so a console needs neither the server's clock nor a read-back.
/// </summary>
public sealed record QueueEvent(
    Guid CallId, Guid BusinessId, string Status, string? BusinessName, DateTimeOffset? ReceivedAt, int? WaitingSeconds, int? SlaSecondsLeft)
{
    public static QueueEvent Of(QueueChange change, TimeProvider clock, CallOptions options)
    {
        int? seconds = change.ReceivedAt is { } at ? (int)(clock.GetUtcNow() - at).TotalSeconds : null;
        return new QueueEvent(change.CallId, change.BusinessId, change.Status, change.BusinessName, change.ReceivedAt,
            seconds, seconds is { } s ? Math.Max(0, options.AnswerSlaSeconds - s) : null);
    }
}
