using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;

namespace Receptionist.Features.Console;

/// <summary>A call entered, left or moved within the queue (status as the API spells it: waiting, claimed, ...).</summary>
public sealed record QueueChange(Guid CallId, Guid BusinessId, string Status);

/// <summary>What a console is told: a queue change, or "resync" when changes may have been missed.</summary>
public sealed record ConsoleEvent(string Type, QueueChange? Change)
{
    public const string Queue = "queue";
    public const string Resync = "resync";
}

/// <summary>
/// Queue changes reach every instance through PostgreSQL: a trigger on <c>calls</c> (created by the Initial
/// migration) notifies the <see cref="Channel"/> channel when a call is inserted or its status changes, and the
/// notification is delivered at commit, to every instance listening, whichever instance made the change.
/// </summary>
public static class ConsoleEvents
{
    public const string Channel = "queue_changed";
}

/// <summary>
/// Fans this instance's queue notifications out to its connected consoles. Each subscriber has its own bounded
/// channel: a slow console loses its oldest events (and re-fetches the queue anyway), it never holds up the others.
/// </summary>
public sealed class ConsoleEventHub
{
    const int SubscriberBuffer = 64;
    readonly ConcurrentDictionary<Channel<ConsoleEvent>, byte> subscribers = new();
    TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConsoleSubscription Subscribe()
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<ConsoleEvent>(
            new BoundedChannelOptions(SubscriberBuffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        subscribers.TryAdd(channel, 0);
        return new ConsoleSubscription(channel.Reader, () => subscribers.TryRemove(channel, out _));
    }

    /// <summary>Completes once this instance is listening, so a subscriber from then on misses nothing.</summary>
    public Task WhenListeningAsync(CancellationToken ct) => Volatile.Read(ref listening).Task.WaitAsync(ct);

    public void Publish(ConsoleEvent e)
    {
        foreach (var channel in subscribers.Keys)
            channel.Writer.TryWrite(e);
    }

    internal void Listening()
    {
        Volatile.Read(ref listening).TrySetResult();
        // After a reconnect, anything committed while deaf was missed: consoles re-fetch the queue.
        Publish(new ConsoleEvent(ConsoleEvent.Resync, null));
    }

    internal void Deaf()
    {
        var current = Volatile.Read(ref listening);
        if (current.Task.IsCompleted)
            Interlocked.CompareExchange(ref listening, new(TaskCreationOptions.RunContinuationsAsynchronously), current);
    }
}

public sealed class ConsoleSubscription(ChannelReader<ConsoleEvent> reader, Action unsubscribe) : IDisposable
{
    public ChannelReader<ConsoleEvent> Reader { get; } = reader;
    public void Dispose() => unsubscribe();
}

/// <summary>
/// One dedicated connection per instance that LISTENs for queue changes and hands them to the hub. A lost
/// connection is reopened with backoff; a connection that has gone quiet is probed so a dead one is noticed.
/// </summary>
sealed class QueueNotificationListener(NpgsqlDataSource dataSource, ConsoleEventHub hub, ILogger<QueueNotificationListener> logger)
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
                logger.LogWarning(e, "Lost the {Channel} listener; reconnecting in {Delay}", ConsoleEvents.Channel, retry);
                // Real time on purpose: a reconnect backoff is about the database, not the business clock.
                try { await Task.Delay(retry, stoppingToken); } catch (OperationCanceledException) { return; }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    async Task ListenAsync(CancellationToken ct, Action connected)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        connection.Notification += (_, e) =>
        {
            if (Parse(e.Payload) is { } change)
                hub.Publish(new ConsoleEvent(ConsoleEvent.Queue, change));
            else
                logger.LogWarning("Ignored a {Channel} notification that does not parse: {Payload}", ConsoleEvents.Channel, e.Payload);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {ConsoleEvents.Channel}", connection))
            await listen.ExecuteNonQueryAsync(ct);
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

    static QueueChange? Parse(string payload)
    {
        try
        {
            var change = JsonSerializer.Deserialize<QueueChange>(payload, JsonSerializerOptions.Web);
            return change is { Status.Length: > 0 }
                ? change with { Status = char.ToLowerInvariant(change.Status[0]) + change.Status[1..] }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
