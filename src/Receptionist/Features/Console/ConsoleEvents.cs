using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;

namespace Receptionist.Features.Console;

/// <summary>
/// A call entered, left or moved within the queue (status as the API spells it: waiting, claimed, ...), with what a
/// console shows of it, so that nobody has to read the queue back to learn what changed.
/// </summary>
public sealed record QueueChange(Guid CallId, Guid BusinessId, string Status, string? BusinessName, DateTimeOffset? ReceivedAt);

/// <summary>An operator's state changed (on any instance): told to every open console of that operator.</summary>
/// <param name="State">As the API spells it: available, offered, busy, wrapUp, away, offline.</param>
/// <param name="Reason">Why away: break, training, missedOffers.</param>
/// <param name="OfferableAt">Until when an available operator cools down after a decline or a missed offer.</param>
public sealed record OperatorChange(Guid OperatorId, string State, DateTimeOffset Since, string? Reason, DateTimeOffset? OfferableAt = null)
{
    /// <summary>Free to be offered a call now: what wakes the routers.</summary>
    public bool OfferableBy(DateTimeOffset now) => State == "available" && (OfferableAt is null || OfferableAt <= now);
}

/// <summary>
/// What a console is told, as sent: a queue change, an operator's new state (only to that operator's consoles), or
/// "resync" when changes may have been missed. Serialized once, when it arrives, for every console on the instance.
/// </summary>
public sealed record ConsoleEvent(string Type, string Data, Guid? OperatorId = null)
{
    public const string Queue = "queue";
    public const string Presence = "presence";
    public const string Resync = "resync";

    public static readonly ConsoleEvent ResyncEvent = new(Resync, "{}");

    /// <summary>The wait and SLA are as of now: the event goes out to every console at once.</summary>
    public static ConsoleEvent Of(QueueChange change, TimeProvider clock, Calls.CallOptions options) =>
        new(Queue, JsonSerializer.Serialize(QueueEvent.Of(change, clock, options), JsonSerializerOptions.Web));

    public static ConsoleEvent Of(OperatorChange moved) =>
        new(Presence, JsonSerializer.Serialize(moved, JsonSerializerOptions.Web), moved.OperatorId);
}

/// <summary>
/// Queue changes reach every instance through PostgreSQL: a trigger on <c>calls</c> (created by the Initial
/// migration) notifies the <see cref="Channel"/> channel when a call is inserted or its status changes, and the
/// notification is delivered at commit, to every instance listening, whichever instance made the change, in commit
/// order. The QueueNotifications migration made its payload carry the business name and arrival time.
/// </summary>
public static class ConsoleEvents
{
    public const string Channel = "queue_changed";
    /// <summary>A trigger on operator_presence (the PushRouting migration) notifies this channel of each state change.</summary>
    public const string OperatorChannel = "operator_changed";
}

/// <summary>
/// The payloads on <see cref="ConsoleEvents.Channel"/>: a queue change from the trigger, or a barrier an instance
/// sends itself to know that every change committed before it has arrived.
/// </summary>
static class QueueNotification
{
    sealed record Payload(Guid? Barrier, Guid CallId, Guid BusinessId, string? Status, string? BusinessName, DateTimeOffset? ReceivedAt);

    public static string Barrier(Guid id) => JsonSerializer.Serialize(new { barrier = id });

    sealed record OperatorPayload(Guid OperatorId, string? State, DateTimeOffset Since, string? Reason, DateTimeOffset? OfferableAt);

    /// <summary>An operator_changed payload; null when it does not parse.</summary>
    public static OperatorChange? ParseOperator(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<OperatorPayload>(payload, JsonSerializerOptions.Web) is { State.Length: > 0 } p
                ? new OperatorChange(p.OperatorId, Camel(p.State), p.Since, p.Reason is { Length: > 0 } r ? Camel(r) : null, p.OfferableAt)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary>False when the payload does not parse.</summary>
    public static bool TryParse(string payload, out Guid? barrier, out QueueChange? change)
    {
        (barrier, change) = (null, null);
        try
        {
            var p = JsonSerializer.Deserialize<Payload>(payload, JsonSerializerOptions.Web);
            if (p?.Barrier is { } id)
                barrier = id;
            else if (p is { Status.Length: > 0 })
                change = new QueueChange(p.CallId, p.BusinessId, char.ToLowerInvariant(p.Status[0]) + p.Status[1..], p.BusinessName, p.ReceivedAt);
            return barrier is not null || change is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>
/// Fans this instance's queue notifications out to its connected consoles. Each subscriber has its own bounded
/// channel: a slow console never holds up the others; when its buffer is full it misses events, and is told to
/// resync once it catches up (consoles keep their list from the events alone, so a gap must be said).
/// </summary>
public sealed class ConsoleEventHub
{
    const int SubscriberBuffer = 256;
    readonly ConcurrentDictionary<ConsoleSubscription, byte> subscribers = new();
    TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="operatorId">The operator whose console this is: told of their own state changes too.</param>
    public ConsoleSubscription Subscribe(Guid? operatorId = null)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<ConsoleEvent>(
            new BoundedChannelOptions(SubscriberBuffer) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        var subscription = new ConsoleSubscription(channel, operatorId, s => subscribers.TryRemove(s, out _));
        subscribers.TryAdd(subscription, 0);
        return subscription;
    }

    /// <summary>Completes once this instance is listening, so a subscriber from then on misses nothing.</summary>
    public Task WhenListeningAsync(CancellationToken ct) => Volatile.Read(ref listening).Task.WaitAsync(ct);

    public void Publish(ConsoleEvent e)
    {
        foreach (var subscriber in subscribers.Keys)
            subscriber.Offer(e);
    }

    internal void Listening()
    {
        Volatile.Read(ref listening).TrySetResult();
        // After a reconnect, anything committed while deaf was missed: consoles re-fetch the queue.
        Publish(ConsoleEvent.ResyncEvent);
    }

    internal void Deaf()
    {
        var current = Volatile.Read(ref listening);
        if (current.Task.IsCompleted)
            Interlocked.CompareExchange(ref listening, new(TaskCreationOptions.RunContinuationsAsynchronously), current);
    }
}

public sealed class ConsoleSubscription(Channel<ConsoleEvent> channel, Guid? operatorId, Action<ConsoleSubscription> unsubscribe)
    : IDisposable
{
    int missed;

    public ChannelReader<ConsoleEvent> Reader => channel.Reader;

    internal void Offer(ConsoleEvent e)
    {
        if (e.OperatorId is { } changed && changed != operatorId)
            return;
        if (!channel.Writer.TryWrite(e))
            Volatile.Write(ref missed, 1);
    }

    /// <summary>True once after events were dropped for this subscriber.</summary>
    public bool TakeMissed() => Interlocked.Exchange(ref missed, 0) == 1;

    public void Dispose() => unsubscribe(this);
}

/// <summary>
/// One dedicated connection per instance that LISTENs for queue and operator changes, handing them to the snapshot,
/// the hub and the routers, and for line changes, which clear the instance's <see cref="Calls.LineDirectory"/>. A
/// lost connection is reopened with backoff; a connection that has gone quiet is probed so a dead one is noticed.
/// </summary>
sealed class QueueNotificationListener(
    NpgsqlDataSource dataSource, ConsoleEventHub hub, QueueSnapshot snapshot, Queue.CallRouter router, Calls.LineDirectory lines,
    TimeProvider clock, Microsoft.Extensions.Options.IOptions<Calls.CallOptions> calls, ILogger<QueueNotificationListener> logger)
    : BackgroundService
{
    static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500), MaxRetry = TimeSpan.FromSeconds(30);
    static readonly TimeSpan Probe = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken, () => retry = FirstRetry);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                hub.Deaf();
                snapshot.Deaf();
                lines.Deaf();
                logger.LogWarning(e, "Lost the {Channel} listener; reconnecting in {Delay}", ConsoleEvents.Channel, retry);
                // Real time on purpose: a reconnect backoff is about the database, not the business clock.
                try { await Task.Delay(retry, stoppingToken); } catch (OperationCanceledException) { return; }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: the connection may go first (an embedded cluster stopping with us); nothing is lost.
                return;
            }
        }
    }

    async Task ListenAsync(CancellationToken ct, Action connected)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        connection.Notification += (_, e) =>
        {
            if (e.Channel == Calls.LineDirectory.Channel)
            {
                lines.Forget();
                return;
            }
            if (e.Channel == ConsoleEvents.OperatorChannel)
            {
                if (QueueNotification.ParseOperator(e.Payload) is not { } moved)
                    logger.LogWarning("Ignored a {Channel} notification that does not parse: {Payload}", e.Channel, e.Payload);
                else
                {
                    hub.Publish(ConsoleEvent.Of(moved));
                    // An operator free again is offered the next waiting call at once; one cooling down after a decline
                    // or a miss is not (the router's sweep finds them when it ends), so the returned call's own request
                    // offers it to the next operator without a router racing it. (A call entering the queue wakes
                    // nobody: its own webhook offered it already, and racing that would only add a queue hop.)
                    if (moved.OfferableBy(clock.GetUtcNow()))
                        router.Wake();
                }
                return;
            }
            if (!QueueNotification.TryParse(e.Payload, out var barrier, out var change))
                logger.LogWarning("Ignored a {Channel} notification that does not parse: {Payload}", ConsoleEvents.Channel, e.Payload);
            else if (barrier is { } id)
                snapshot.BarrierArrived(id);
            else
            {
                // The snapshot first: a console told of a change and reading the queue then finds it there.
                snapshot.Apply(change!);
                hub.Publish(ConsoleEvent.Of(change!, clock, calls.Value));
            }
        };
        snapshot.BeginRebuild();
        await using (var listenOperators = new NpgsqlCommand($"LISTEN {ConsoleEvents.OperatorChannel}", connection))
            await listenOperators.ExecuteNonQueryAsync(ct);
        await using (var listen = new NpgsqlCommand($"LISTEN {ConsoleEvents.Channel}", connection))
            await listen.ExecuteNonQueryAsync(ct);
        await using (var listenLines = new NpgsqlCommand($"LISTEN {Calls.LineDirectory.Channel}", connection))
            await listenLines.ExecuteNonQueryAsync(ct);
        lines.Listening();
        await snapshot.RebuildAsync(ct);
        connected();
        hub.Listening();
        while (true)
        {
            if (await connection.WaitAsync(Probe, ct))
                continue;
            await using var probe = new NpgsqlCommand("SELECT 1", connection);
            await probe.ExecuteNonQueryAsync(ct);
        }
    }
}
