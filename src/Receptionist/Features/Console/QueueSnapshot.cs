using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using Receptionist.Features.Calls;

namespace Receptionist.Features.Console;

public sealed record WaitingCall(Guid CallId, string BusinessName, DateTimeOffset ReceivedAt, int WaitingSeconds, int SlaSecondsLeft);

/// <summary>
/// This instance's copy of the shared queue's waiting calls, kept current by the queue notifications themselves
/// (each carries the call's new status, business name and arrival), so serving the queue to a console costs no
/// query however many consoles ask and however many changes arrive. It is read from the database only when the
/// listener (re)connects: changes committed while nobody listened cannot be known any other way.
/// </summary>
public sealed class QueueSnapshot(NpgsqlDataSource dataSource, TimeProvider clock, IOptions<CallOptions> options)
{
    sealed record Entry(Guid CallId, string BusinessName, DateTimeOffset ReceivedAt);

    sealed class Oldest : IComparer<Entry>
    {
        public static readonly Oldest First = new();
        public int Compare(Entry? x, Entry? y) =>
            x!.ReceivedAt.CompareTo(y!.ReceivedAt) is var byTime and not 0 ? byTime : x.CallId.CompareTo(y.CallId);
    }

    static readonly TimeSpan BarrierTimeout = TimeSpan.FromSeconds(2);
    readonly Lock gate = new();
    readonly Dictionary<Guid, Entry> byId = [];
    readonly SortedSet<Entry> ordered = new(Oldest.First);
    readonly ConcurrentDictionary<Guid, TaskCompletionSource> barriers = new();
    List<QueueChange>? arrivedDuringRebuild;
    bool current;
    long rebuilds;

    /// <summary>How many times the snapshot was read from the database (once per (re)connection of the listener).</summary>
    public long Rebuilds => Interlocked.Read(ref rebuilds);

    public void Apply(QueueChange change)
    {
        lock (gate)
        {
            ApplyLocked(change);
            arrivedDuringRebuild?.Add(change);
        }
    }

    void ApplyLocked(QueueChange change)
    {
        if (byId.Remove(change.CallId, out var old))
            ordered.Remove(old);
        if (change is { Status: "waiting", BusinessName: { } name, ReceivedAt: { } receivedAt })
        {
            var entry = new Entry(change.CallId, name, receivedAt);
            byId[change.CallId] = entry;
            ordered.Add(entry);
        }
    }

    /// <summary>Called before LISTEN: from here on every change is kept, to be replayed over the database's answer.</summary>
    internal void BeginRebuild()
    {
        lock (gate)
            arrivedDuringRebuild = [];
    }

    /// <summary>
    /// Reads the waiting calls once LISTEN is in place, then replays the changes that arrived meanwhile: a change the
    /// read already saw is applied again to the same end (each call's notifications come in commit order). Changes
    /// still unread on the listening connection are applied after, to the same end.
    /// </summary>
    internal async Task RebuildAsync(CancellationToken ct)
    {
        List<Entry> rows;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
            rows = await ReadWaitingAsync(connection, limit: null, ct);
        lock (gate)
        {
            byId.Clear();
            ordered.Clear();
            foreach (var row in rows)
            {
                byId[row.CallId] = row;
                ordered.Add(row);
            }
            foreach (var change in arrivedDuringRebuild ?? [])
                ApplyLocked(change);
            arrivedDuringRebuild = null;
            current = true;
        }
        Interlocked.Increment(ref rebuilds);
    }

    internal void Deaf()
    {
        lock (gate)
            current = false;
    }

    /// <summary>
    /// The oldest waiting calls. A barrier notification first makes sure every change committed before this request
    /// has reached the snapshot (notifications arrive in commit order), so a console sees its own claim; while the
    /// listener is down, the database answers instead.
    /// </summary>
    public async Task<List<WaitingCall>> OldestAsync(int count, CancellationToken ct)
    {
        if (Volatile.Read(ref current) && await BarrierAsync(ct))
        {
            lock (gate)
                if (current)
                    return [.. ordered.Take(count).Select(View)];
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. (await ReadWaitingAsync(connection, count, ct)).Select(View)];
    }

    WaitingCall View(Entry e)
    {
        var seconds = (int)(clock.GetUtcNow() - e.ReceivedAt).TotalSeconds;
        return new WaitingCall(e.CallId, e.BusinessName, e.ReceivedAt, seconds, Math.Max(0, options.Value.AnswerSlaSeconds - seconds));
    }

    async Task<bool> BarrierAsync(CancellationToken ct)
    {
        var id = Guid.NewGuid();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        barriers[id] = arrived;
        try
        {
            await using (var notify = dataSource.CreateCommand($"SELECT pg_notify('{ConsoleEvents.Channel}', $1)"))
            {
                notify.Parameters.Add(new NpgsqlParameter { Value = QueueNotification.Barrier(id) });
                await notify.ExecuteNonQueryAsync(ct);
            }
            // Real time on purpose: this bounds a wait on the database, not a business rule.
            await arrived.Task.WaitAsync(BarrierTimeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            barriers.TryRemove(id, out _);
        }
    }

    internal void BarrierArrived(Guid id)
    {
        if (barriers.TryGetValue(id, out var arrived))
            arrived.TrySetResult();
    }

    static async Task<List<Entry>> ReadWaitingAsync(NpgsqlConnection connection, int? limit, CancellationToken ct)
    {
        await using var read = new NpgsqlCommand("""
            SELECT c.id, b.name, c.received_at FROM calls c JOIN businesses b ON b.id = c.business_id
            WHERE c.status = 'Waiting' ORDER BY c.received_at, c.id LIMIT $1
            """, connection);
        read.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = limit is { } l ? l : DBNull.Value });
        await using var reader = await read.ExecuteReaderAsync(ct);
        var rows = new List<Entry>();
        while (await reader.ReadAsync(ct))
            rows.Add(new Entry(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        return rows;
    }
}
