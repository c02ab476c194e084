using Npgsql;

namespace Receptionist.Features.Calls;

/// <summary>A line in service and the business it answers for, with what decides whether the business is live.</summary>
public sealed record LineTarget(
    string Number, Guid BusinessId, string Name, string Language, string Fallback, string? BackupNumber,
    string? ProtectedNumber, Guid? ScenarioVersionId, bool Ready, bool Subscribed, DateTimeOffset? GraceUntil)
{
    /// <summary>The go-live checklist (GoLiveEndpoints), with the subscription part of
    /// <see cref="Billing.Subscription.AnswersCallsSql"/>: active, or past due within its grace.</summary>
    public bool LiveAt(DateTimeOffset now) => Ready && (Subscribed || GraceUntil > now);

    /// <summary>
    /// Our forwarding-check call keeps our line as its caller id, or (some carriers) shows the forwarding number, and
    /// a repeat of it carries the same: only such a call can be a check, so every other call may skip the check's
    /// lookups. A customer's own caller id never looks like this.
    /// </summary>
    public bool MayBeCheckCall(IncomingCall call) =>
        call.From == Number || (call.ForwardedFrom == ProtectedNumber && call.From == ProtectedNumber);
}

/// <summary>
/// This instance's copy of the dialled line → business → live decision, so that an incoming call to a live business
/// costs one statement that only records it. Triggers on the lines, businesses and subscriptions (the
/// LineNotifications migration) notify <see cref="Channel"/> on every change, whichever instance made it, and
/// the instance's listener forgets everything it knows then, so a change reaches every instance within the
/// notification's delivery (milliseconds). While the listener is down nothing is known here: the database decides.
/// </summary>
public sealed class LineDirectory(NpgsqlDataSource dataSource)
{
    public const string Channel = "lines_changed";

    /// <summary>Lines are few; a bound keeps a flood of unknown numbers from growing the map.</summary>
    const int MaxLines = 10_000;

    readonly Lock gate = new();
    Dictionary<string, LineTarget?> byNumber = [];
    long generation;
    bool listening;

    /// <summary>The line in service with this number; null when there is none, or while changes cannot be heard (the
    /// caller then asks the database itself).</summary>
    public async ValueTask<LineTarget?> FindAsync(string number, CancellationToken ct)
    {
        long readFrom;
        lock (gate)
        {
            if (!listening)
                return null;
            if (byNumber.TryGetValue(number, out var known))
                return known;
            readFrom = generation;
        }
        var target = await ReadAsync(number, ct);
        lock (gate)
        {
            // A change heard while reading may have come after the read's snapshot: then the answer is not kept.
            if (listening && generation == readFrom)
            {
                if (byNumber.Count >= MaxLines)
                    byNumber = [];
                byNumber[number] = target;
            }
        }
        return target;
    }

    /// <summary>A line, business or subscription changed somewhere.</summary>
    public void Forget() => Clear(listeningNow: null);

    /// <summary>The listener is in place: from now on every change is heard.</summary>
    internal void Listening() => Clear(listeningNow: true);

    /// <summary>The listener is lost: changes may go unheard, so nothing is kept until it is back.</summary>
    internal void Deaf() => Clear(listeningNow: false);

    void Clear(bool? listeningNow)
    {
        lock (gate)
        {
            generation++;
            byNumber = [];
            listening = listeningNow ?? listening;
        }
    }

    async Task<LineTarget?> ReadAsync(string number, CancellationToken ct)
    {
        await using var read = dataSource.CreateCommand("""
            SELECT l.number, b.id, b.name, b.language, b.fallback, b.backup_number, b.protected_number, b.scenario_version_id,
                   b.forwarding_verified_at IS NOT NULL AND b.scenario_version_id IS NOT NULL,
                   EXISTS (SELECT 1 FROM subscriptions s WHERE s.business_id = b.id AND s.status = 'Active'),
                   (SELECT max(s.grace_until) FROM subscriptions s WHERE s.business_id = b.id AND s.status = 'PastDue')
            FROM receptionist_lines l JOIN businesses b ON b.id = l.business_id
            WHERE l.number = $1 AND l.retired_at IS NULL
            """);
        read.Parameters.Add(new NpgsqlParameter { Value = number });
        await using var reader = await read.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return new LineTarget(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetGuid(7), reader.GetBoolean(8), reader.GetBoolean(9),
            reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10));
    }
}
