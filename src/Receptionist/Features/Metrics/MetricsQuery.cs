using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Calls;

namespace Receptionist.Features.Metrics;

/// <summary>
/// The one computation behind every service-level figure (admin report, wallboard, owner figures): aggregate SQL
/// over the call record, never calls loaded into memory. A call belongs to the period in which it entered the queue
/// (its <c>received_at</c>), so a call that starts at 23:59 and is answered after midnight counts on the first day.
/// </summary>
public sealed class MetricsQuery(AppDbContext db, IOptions<MetricsOptions> metrics, IOptions<CallOptions> calls, TimeProvider clock)
{
    /// <summary>
    /// Each call read from the record with what the figures need. Offered = entered the queue (every call but a not-live
    /// one, which went to the fallback at once). Wait = answered − received. Handling (<see cref="Handling"/>): hold =
    /// the caller's time on hold in warm transfers; talk = answered → the operator's part ended, less the hold;
    /// wrap-up = from then to the summary (a summary written before leaves none). Repeat = another call from the same
    /// number to the same business within 7 days. {0} is the business filter, {1} the calls (<see cref="CallsWithNext"/>
    /// when repeats are counted), {2} repeat, {3} talk, hold and wrap-up and {4} the joins they need, {5} the time
    /// ranges read (<see cref="Ranges"/>).
    /// </summary>
    const string PeriodCalls = """
        WITH c AS (
            SELECT c.business_id, c.operator_id, c.outcome, c.billable, c.received_at, c.answered_at,
                   EXTRACT(HOUR FROM c.received_at AT TIME ZONE @tz)::int AS hour,
                   date_trunc('hour', c.received_at, 'UTC') AS bucket,
                   -- Blocked callers (Features/Blocking) never reach the queue: neither offered nor missed.
                   c.outcome IS DISTINCT FROM 'NotLive' AND c.outcome IS DISTINCT FROM 'Blocked' AS offered,
                   EXTRACT(EPOCH FROM c.answered_at - c.received_at)::float8 AS wait,
                   c.outcome = 'Abandoned' AND EXTRACT(EPOCH FROM c.ended_at - c.received_at) <= @short AS short_abandon,
                   c.outcome = 'Abandoned' AND EXTRACT(EPOCH FROM c.ended_at - c.received_at) > @short AS abandon,
                   c.outcome = 'Answered' AND c.ended_at IS NOT NULL AS handled,
                   {3},
                   {2} AS repeat
            FROM {1} c {4}
            WHERE {5} {0}
        )
        """;

    /// <summary>
    /// The calls read and those of the 7 days after them, each with the next call from the same number to the same
    /// business: one sort of the period, where a lookup per answered call took four times as long (measured).
    /// {0} is the business filter, {1} the time ranges stretched by the repeat window.
    /// </summary>
    const string CallsWithNext = """
        (SELECT c.*, lead(c.received_at) OVER (PARTITION BY c.business_id, c.caller_number ORDER BY c.received_at) AS next_call
         FROM calls c WHERE {1} {0})
        """;
    const string Repeat = "(c.answered_at IS NOT NULL AND c.next_call <= c.received_at + interval '7 days')";

    /// <summary>The same for a few calls (the part-hours a report reads beside the rollup): one index lookup each.</summary>
    const string RepeatLookup = """
        (c.answered_at IS NOT NULL AND EXISTS (SELECT 1 FROM calls n WHERE n.business_id = c.business_id
            AND n.caller_number = c.caller_number AND n.id <> c.id
            AND n.received_at >= c.received_at AND n.received_at <= c.received_at + interval '7 days'))
        """;

    /// <summary>
    /// When the operator's part of a call ended: a caller handed to the owner is no longer theirs (cold: at once; warm:
    /// when the owner took them), otherwise the end of the call. <c>t</c> is the call's transfer, if any.
    /// </summary>
    const string OperatorPartEnded = """
        LEAST(c.ended_at, CASE WHEN t.mode = 'Cold' THEN t.started_at WHEN t.state = 'Connected' THEN t.ended_at END)
        """;

    /// <summary>
    /// Seconds the caller held for the owner: earlier warm transfers this one replaced, and this one's from its start to
    /// the caller rejoining, joining the owner or leaving (a hold whose end was never reported ends with the call).
    /// </summary>
    const string Hold = """
        COALESCE(t.earlier_hold_seconds, 0) + CASE WHEN t.mode = 'Warm' THEN
            COALESCE(GREATEST(0, EXTRACT(EPOCH FROM LEAST(COALESCE(t.ended_at, c.ended_at), c.ended_at) - t.started_at)), 0) ELSE 0 END
        """;

    /// <summary>
    /// Talk, hold and wrap-up of a call, and (<see cref="HandlingJoins"/>) the joins they need, in the way that is
    /// fastest for the calls at hand (measured on 1,000,000 calls): all businesses' calls join the summaries in one hash
    /// join; a few calls (one business's, or the part-hours beside the rollup) look their summaries up by key (a join
    /// there hashes every summary of every business). Transfers are few: always joined. The wallboard shows no handle
    /// time and reads none of it.
    /// </summary>
    static string Handling(bool needed, bool fewCalls)
    {
        if (!needed)
            return "EXTRACT(EPOCH FROM c.ended_at - c.answered_at)::float8 AS talk, 0::float8 AS hold, 0::float8 AS wrap_up";
        var summaryAfter = $"GREATEST(0, EXTRACT(EPOCH FROM s.created_at - {OperatorPartEnded}))";
        var wrapUp = fewCalls ? $"(SELECT {summaryAfter} FROM call_summaries s WHERE s.call_id = c.id)" : summaryAfter;
        return $"""
            GREATEST(0, EXTRACT(EPOCH FROM {OperatorPartEnded} - c.answered_at) - ({Hold}))::float8 AS talk,
            ({Hold})::float8 AS hold,
            COALESCE(CASE WHEN c.outcome = 'Answered' AND c.ended_at IS NOT NULL THEN {wrapUp} END, 0)::float8 AS wrap_up
            """;
    }

    static string HandlingJoins(bool needed, bool fewCalls) => !needed ? ""
        : "LEFT JOIN call_transfers t ON t.call_id = c.id" + (fewCalls ? "" : " LEFT JOIN call_summaries s ON s.call_id = c.id");

    /// <summary>
    /// The counts and sums of seconds every figure is made of, over a group of <c>c</c>'s calls; all add up, so hours
    /// summed once (<see cref="CallMetricsHour"/>, same column names) and calls read now combine. Ratios and averages
    /// are made from them in C#, null when undefined.
    /// </summary>
    static readonly (string Column, string Sql)[] SumsOverCalls =
    [
        ("offered", "count(*) FILTER (WHERE offered)"),
        ("answered", "count(*) FILTER (WHERE answered_at IS NOT NULL)"),
        ("abandoned", "count(*) FILTER (WHERE abandon)"),
        ("short_abandoned", "count(*) FILTER (WHERE short_abandon)"),
        ("overflowed", "count(*) FILTER (WHERE outcome = 'Overflowed')"),
        ("answered_within_target", "count(*) FILTER (WHERE wait <= @sl)"),
        ("answered_within_billing_sla", "count(*) FILTER (WHERE wait <= @billing)"),
        ("handled", "count(*) FILTER (WHERE handled)"),
        ("not_live", "count(*) FILTER (WHERE outcome = 'NotLive')"),
        ("missed", "count(*) FILTER (WHERE outcome IS NOT NULL AND outcome NOT IN ('Answered', 'Blocked'))"),
        ("not_billed", "count(*) FILTER (WHERE answered_at IS NOT NULL AND NOT billable)"),
        ("repeated", "count(*) FILTER (WHERE repeat)"),
        ("wait_seconds", "COALESCE(sum(wait), 0)::float8"),
        ("talk_seconds", "COALESCE(sum(talk) FILTER (WHERE handled), 0)::float8"),
        ("hold_seconds", "COALESCE(sum(hold) FILTER (WHERE handled), 0)::float8"),
        ("wrap_up_seconds", "COALESCE(sum(wrap_up) FILTER (WHERE handled), 0)::float8"),
    ];
    static readonly string Sums = string.Join(", ", SumsOverCalls.Select(s => $"{s.Sql} AS {s.Column}"));
    static readonly string SumColumns = string.Join(", ", SumsOverCalls.Select(s => s.Column));
    static readonly string SumsOfParts = string.Join(", ", SumsOverCalls.Select(s => SumOfParts(s.Column)));

    /// <summary>A sum of parts summed before (seconds are float8, counts bigint).</summary>
    static string SumOfParts(string column) =>
        $"COALESCE(sum({column}), 0)::{(column.EndsWith("_seconds") ? "float8" : "bigint")} AS {column}";

    /// <summary>
    /// An operator's seconds in each state and the offers made to them, over spans of <c>state</c>, <c>seconds</c>,
    /// <c>offer_made</c> (an offer that started in the range summed, so a span over several hours counts once) and
    /// <c>offer_outcome</c>. Ringing with an offer is time available (ready for a call); away and offline are neither.
    /// Like <see cref="SumsOverCalls"/>, all add up over hours.
    /// </summary>
    static readonly (string Column, string Sql)[] SumsOverSpans =
    [
        ("available_seconds", "COALESCE(sum(seconds) FILTER (WHERE state IN ('Available', 'Offered')), 0)::float8"),
        ("busy_seconds", "COALESCE(sum(seconds) FILTER (WHERE state = 'Busy'), 0)::float8"),
        ("state_wrap_up_seconds", "COALESCE(sum(seconds) FILTER (WHERE state = 'WrapUp'), 0)::float8"),
        ("offers", "count(*) FILTER (WHERE offer_made)"),
        ("offers_answered", "count(*) FILTER (WHERE offer_made AND offer_outcome = 'Answered')"),
        ("offers_missed", "count(*) FILTER (WHERE offer_made AND offer_outcome = 'Missed')"),
        ("offers_declined", "count(*) FILTER (WHERE offer_made AND offer_outcome = 'Declined')"),
        ("offers_withdrawn", "count(*) FILTER (WHERE offer_made AND offer_outcome = 'Withdrawn')"),
    ];
    static readonly string StateSums = string.Join(", ", SumsOverSpans.Select(s => $"{s.Sql} AS {s.Column}"));
    static readonly string StateColumns = string.Join(", ", SumsOverSpans.Select(s => s.Column));
    static readonly string StateSumsOfParts = string.Join(", ", SumsOverSpans.Select(s => SumOfParts(s.Column)));
    static readonly string StateUpdates = string.Join(", ", SumsOverSpans.Select(s => $"{s.Column} = excluded.{s.Column}"));

    /// <summary>The rolled-up rows of one breakdown ({0}: business or operator) over [head_end, tail_start): whole UTC
    /// days from their day rows, the hours before and after them from hour rows.</summary>
    const string RolledParts = """
        ((r.dimension = '{0}' AND ((r.hour >= @head_end AND r.hour < @day_start) OR (r.hour >= @day_end AND r.hour < @tail_start)))
         OR (r.dimension = 'day:{0}' AND r.hour >= @day_start AND r.hour < @day_end))
        """;

    /// <summary>
    /// The operators who have spans, found by skipping through the (operator, start) index: one probe per operator,
    /// not one row per span. A statement that reads <see cref="SpansTouching"/> begins with it.
    /// </summary>
    const string SpanOperators = """
        WITH RECURSIVE span_operators(id) AS (
            (SELECT operator_id FROM operator_state_intervals ORDER BY operator_id LIMIT 1)
            UNION ALL
            SELECT (SELECT s.operator_id FROM operator_state_intervals s WHERE s.operator_id > o.id ORDER BY s.operator_id LIMIT 1)
            FROM span_operators o WHERE o.id IS NOT NULL)
        """;

    /// <summary>
    /// The spans touching [<paramref name="from"/>, <paramref name="to"/>): those begun in it, and the one each operator
    /// was in at its start. An operator's spans follow one another, so that one is the latest begun before the start,
    /// if it had not ended by then; looking it up per operator answers from an index, where "begun before and ended
    /// after" has none and read every span before. On a tie (several changes in one transaction) the later row is the
    /// one that lasted.
    /// </summary>
    static string SpansTouching(string from, string to) => $"""
        (SELECT * FROM operator_state_intervals WHERE started_at >= {from} AND started_at < {to}
         UNION ALL
         SELECT s.* FROM span_operators o
         CROSS JOIN LATERAL (SELECT * FROM operator_state_intervals s WHERE s.operator_id = o.id AND s.started_at < {from}
                             ORDER BY s.started_at DESC, s.id DESC LIMIT 1) s
         WHERE s.ended_at > {from} OR s.ended_at IS NULL)
        """;

    /// <summary>Operators' state spans clipped to [<paramref name="from"/>, <paramref name="to"/>).</summary>
    static string SpansIn(string from, string to) => $"""
        SELECT i.operator_id, i.state,
               GREATEST(0, EXTRACT(EPOCH FROM LEAST(COALESCE(i.ended_at, @now), {to}) - GREATEST(i.started_at, {from})))::float8 AS seconds,
               i.state = 'Offered' AND i.started_at >= {from} AS offer_made, i.offer_outcome
        FROM {SpansTouching(from, to)} i
        WHERE i.state <> 'Offline'
        """;

    /// <summary>The whole seconds an answered call waited: the buckets of <see cref="CallWaitHour"/>.</summary>
    const string WaitSecond = "LEAST(floor(EXTRACT(EPOCH FROM c.answered_at - c.received_at)), 86400)::int";

    public MetricsOptions Options => metrics.Value;

    /// <summary>
    /// The whole report: totals, hours and (for admins) businesses and operators as grouping sets of one aggregate
    /// over the calls read, added to the hours summed beforehand (<see cref="MetricsRollup"/>) where the period covers
    /// them; then the wait's percentiles and the operators' state spans. One snapshot for all statements.
    /// </summary>
    public async Task<MetricsReport> ReportAsync(MetricsPeriod period, Guid? businessId, bool withStaffBreakdowns, CancellationToken ct)
    {
        await using var transaction = await ReadOnlySnapshotAsync(ct);
        // One business's calls are few: read them all. The rollup holds no business's hours of day.
        var split = businessId is null && withStaffBreakdowns ? await SplitAsync(period, ct) : Split.None(period);
        var (slices, sets) = withStaffBreakdowns
            ? ("""
               CASE WHEN GROUPING(hour) = 0 THEN 'hour' WHEN GROUPING(business_id) = 0 THEN 'business' ELSE 'operator' END AS slice,
               hour, business_id, operator_id
               """, "(hour), (business_id), (operator_id)")
            : ("'hour' AS slice, hour, NULL::uuid AS business_id, NULL::uuid AS operator_id", "(hour)");
        var rolled = !split.Rolled ? "" : $"""
            UNION ALL
            SELECT CASE WHEN r.dimension LIKE 'day:%' THEN substr(r.dimension, 5) ELSE r.dimension END,
                   CASE WHEN r.dimension = 'hour' THEN EXTRACT(HOUR FROM r.hour AT TIME ZONE @tz)::int END,
                   CASE WHEN r.dimension LIKE '%business' THEN r.key END, CASE WHEN r.dimension LIKE '%operator' THEN r.key END, {SumColumns}
            FROM call_metrics_hourly r
            WHERE (r.dimension = 'hour' AND r.hour >= @head_end AND r.hour < @tail_start)
               OR {string.Format(RolledParts, "business")} OR {string.Format(RolledParts, "operator")}
            """;
        var rows = await QueryAsync<SliceRow>(period, businessId, split, forReport: true, $"""
            , parts AS (SELECT {slices}, {Sums} FROM c GROUP BY GROUPING SETS ({sets}) {rolled})
            SELECT slice, hour, business_id, operator_id, {SumsOfParts} FROM parts GROUP BY slice, hour, business_id, operator_id
            UNION ALL
            SELECT 'total', NULL, NULL, NULL, {SumsOfParts} FROM parts WHERE slice = 'hour'
            """, ct);
        var waits = await WaitPercentilesAsync(period, businessId, split, ct);
        var totals = rows.SingleOrDefault(r => r.Slice == "total") ?? SliceRow.Empty;
        List<HourFigures> hours = [.. rows.Where(r => r.Slice == "hour").OrderBy(r => r.Hour)
            .Select(r => new HourFigures(r.Hour!.Value, Figure.Of(r.Counts, Options)))];
        List<OperatorFigures>? operators = null;
        List<BusinessFigures>? businesses = null;
        if (withStaffBreakdowns)
        {
            var businessRows = rows.Where(r => r.Slice == "business").ToList();
            var ids = businessRows.Select(r => r.BusinessId!.Value).ToList();
            var names = await db.Set<Businesses.Business>().Where(b => ids.Contains(b.Id)).ToDictionaryAsync(b => b.Id, b => b.Name, ct);
            businesses = [.. businessRows.OrderByDescending(r => r.Offered).ThenBy(r => names.GetValueOrDefault(r.BusinessId!.Value))
                .Select(r => new BusinessFigures(r.BusinessId!.Value, names.GetValueOrDefault(r.BusinessId!.Value) ?? "", Figure.Of(r.Counts, Options)))];
            operators = await OperatorsAsync(period, split, rows.Where(r => r.Slice == "operator" && r.OperatorId is not null).ToList(), ct);
        }
        await transaction.CommitAsync(ct);
        return MetricsReport.Create(period, totals, waits, Options, calls.Value.AnswerSlaSeconds, hours, operators, businesses);
    }

    /// <summary>The headline figures of a period and its calls per hour, without what only the report needs (repeat
    /// calls, percentiles, breakdowns): the wallboard asks for these on every queue change.</summary>
    public async Task<(Figure Totals, List<HourFigures> Hours)> FiguresAsync(MetricsPeriod period, CancellationToken ct)
    {
        await using var transaction = await ReadOnlySnapshotAsync(ct);
        var rows = await QueryAsync<SliceRow>(period, null, Split.None(period), forReport: false, $"""
            SELECT CASE WHEN GROUPING(hour) = 0 THEN 'hour' ELSE 'total' END AS slice, hour,
                   NULL::uuid AS business_id, NULL::uuid AS operator_id, {Sums}
            FROM c GROUP BY GROUPING SETS ((), (hour))
            """, ct);
        await transaction.CommitAsync(ct);
        // No summaries were read, so there is no handle time to show.
        Figure Of(SliceRow r) => Figure.Of(r.Counts, Options) with { AverageHandleTimeSeconds = null };
        return (Of(rows.SingleOrDefault(r => r.Slice == "total") ?? SliceRow.Empty),
            [.. rows.Where(r => r.Slice == "hour").OrderBy(r => r.Hour).Select(r => new HourFigures(r.Hour!.Value, Of(r)))]);
    }

    /// <summary>
    /// Sums the hours in [from, to) into the rollup (<see cref="MetricsRollup"/> deletes them first, in its
    /// transaction): the same per-call SQL and sums as a report, grouped by hour, hour and business, hour and operator;
    /// the waits to the second; the operators' state spans clipped to each hour.
    /// </summary>
    internal async Task SumHoursAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (from >= to)
            return;
        var period = new MetricsPeriod(from, to, Options.TimeZone);
        await db.Database.ExecuteSqlRawAsync("""
            DELETE FROM call_metrics_hourly WHERE dimension IN ('hour', 'business', 'operator') AND hour >= @from AND hour < @to;
            DELETE FROM call_wait_hourly WHERE hour >= @from AND hour < @to;
            """, Parameters(period, null, Split.None(period)), ct);
        var sumCalls = CallsSql(period, null, Split.None(period), forReport: true) + $"""
            INSERT INTO call_metrics_hourly (hour, dimension, key, {SumColumns})
            SELECT bucket,
                   CASE WHEN GROUPING(business_id) = 0 THEN 'business' WHEN GROUPING(operator_id) = 0 THEN 'operator' ELSE 'hour' END,
                   COALESCE(CASE WHEN GROUPING(business_id) = 0 THEN business_id WHEN GROUPING(operator_id) = 0 THEN operator_id END,
                            '00000000-0000-0000-0000-000000000000'),
                   {Sums}
            FROM c GROUP BY GROUPING SETS ((bucket), (bucket, business_id), (bucket, operator_id))
            HAVING NOT (GROUPING(operator_id) = 0 AND operator_id IS NULL)
            """;
        await db.Database.ExecuteSqlRawAsync(sumCalls, Parameters(period, null, Split.None(period)), ct);
        await db.Database.ExecuteSqlRawAsync($"""
            INSERT INTO call_wait_hourly (hour, wait_second, calls)
            SELECT date_trunc('hour', c.received_at, 'UTC'), {WaitSecond}, count(*)
            FROM calls c WHERE c.received_at >= @from AND c.received_at < @to AND c.answered_at IS NOT NULL
            GROUP BY 1, 2
            """, Parameters(period, null, Split.None(period)), ct);
        var sumSpans = $"""
            {SpanOperators}
            INSERT INTO call_metrics_hourly (hour, dimension, key, {StateColumns})
            SELECT hour, 'operator', operator_id, {StateSums}
            FROM (SELECT i.operator_id, i.state, h.hour,
                         GREATEST(0, EXTRACT(EPOCH FROM LEAST(COALESCE(i.ended_at, @to), h.hour + interval '1 hour', @to)
                                                      - GREATEST(i.started_at, h.hour, @from)))::float8 AS seconds,
                         i.state = 'Offered' AND i.started_at >= GREATEST(h.hour, @from) AS offer_made, i.offer_outcome
                  FROM {SpansTouching("@from", "@to")} i
                  CROSS JOIN LATERAL generate_series(date_trunc('hour', GREATEST(i.started_at, @from), 'UTC'),
                                                     LEAST(COALESCE(i.ended_at, @to), @to) - interval '1 microsecond', interval '1 hour') h(hour)
                  WHERE i.state <> 'Offline') spans
            GROUP BY hour, operator_id
            ON CONFLICT (dimension, hour, key) DO UPDATE SET {StateUpdates}
            """;
        await db.Database.ExecuteSqlRawAsync(sumSpans, Parameters(period, null, Split.None(period)), ct);
    }

    /// <summary>Sums again, from their hours, the business and operator rows of each UTC day that [from, to) touches.</summary>
    internal async Task SumDaysAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (from >= to)
            return;
        var period = new MetricsPeriod(FloorDay(from), FloorDay(to - TimeSpan.FromTicks(1)).AddDays(1), Options.TimeZone);
        var sumDays = $"""
            DELETE FROM call_metrics_hourly WHERE dimension IN ('day:business', 'day:operator') AND hour >= @from AND hour < @to;
            INSERT INTO call_metrics_hourly (dimension, hour, key, {SumColumns}, {StateColumns})
            SELECT 'day:' || dimension, date_trunc('day', hour, 'UTC'), key, {SumsOfParts}, {StateSumsOfParts}
            FROM call_metrics_hourly WHERE dimension IN ('business', 'operator') AND hour >= @from AND hour < @to
            GROUP BY dimension, date_trunc('day', hour, 'UTC'), key;
            """;
        await db.Database.ExecuteSqlRawAsync(sumDays, Parameters(period, null, Split.None(period)), ct);
    }

    /// <summary>
    /// Reports read several statements from one snapshot. JIT is off for them: these are short aggregates over an
    /// index range, and compiling them cost more (about half a second each, measured) than it ever saved.
    /// </summary>
    async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> ReadOnlySnapshotAsync(CancellationToken ct)
    {
        var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await db.Database.ExecuteSqlRawAsync("SET LOCAL jit = off; SET TRANSACTION READ ONLY", ct);
        return transaction;
    }

    /// <summary>
    /// Per operator: calls handled and their parts (from the report's pass), and occupancy from the state spans
    /// clipped to the ranges read (talk = busy, from the claim to the end of the call; wrap-up; available) plus the
    /// rolled-up hours' seconds. Operators who only waited show too.
    /// </summary>
    async Task<List<OperatorFigures>> OperatorsAsync(MetricsPeriod period, Split split, List<SliceRow> handled, CancellationToken ct)
    {
        // Each range its own scan, with its bounds as plain parameters, so each uses the span indexes (a join to a
        // list of ranges made the planner scan every span).
        var spans = split.Rolled
            ? SpansIn("@from", "@head_end") + " UNION ALL " + SpansIn("@tail_start", "@to")
            : SpansIn("@from", "@to");
        var rolled = !split.Rolled ? "" : $"""
            UNION ALL
            SELECT r.key, {StateColumns}
            FROM call_metrics_hourly r WHERE {string.Format(RolledParts, "operator")}
            """;
        var sql = $"""
            {SpanOperators}
            SELECT operator_id, {StateSumsOfParts}
            FROM (SELECT operator_id, {StateSums} FROM ({spans}) spans GROUP BY operator_id
                  {rolled}) parts
            GROUP BY operator_id
            """;
        var states = await db.Database.SqlQueryRaw<StateRow>(sql, Parameters(period, null, split)).ToDictionaryAsync(r => r.OperatorId, ct);
        var byOperator = handled.ToDictionary(r => r.OperatorId!.Value);
        var ids = byOperator.Keys.Union(states.Keys).ToList();
        var names = await db.Set<Accounts.AppUser>().Where(u => ids.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName ?? u.Email, ct);
        return [.. ids.Select(id =>
        {
            var c = (byOperator.GetValueOrDefault(id) ?? SliceRow.Empty).Counts;
            var s = states.GetValueOrDefault(id) ?? new StateRow(id, 0, 0, 0, 0, 0, 0, 0, 0);
            var worked = s.BusySeconds + s.StateWrapUpSeconds;
            return new OperatorFigures(id, names.GetValueOrDefault(id), c.Answered, c.Handled, Round(c.AverageHandleTime),
                Round(c.AverageTalk), Round(c.AverageHold), Round(c.AverageWrapUp), Math.Round(s.AvailableSeconds),
                Math.Round(s.BusySeconds), Math.Round(s.StateWrapUpSeconds), Ratio(worked, s.AvailableSeconds + worked),
                s.Offers, s.OffersAnswered, s.OffersMissed, s.OffersDeclined, s.OffersWithdrawn,
                Ratio(s.OffersAnswered, s.OffersAnswered + s.OffersMissed + s.OffersDeclined));
        }).OrderByDescending(o => o.Handled).ThenBy(o => o.Name)];
    }

    /// <summary>
    /// The median and 90th percentile of the wait of answered calls. Read from the calls alone, exact (an ordered-set
    /// aggregate of its own: among the report's grouping sets it made every set sort, ten times as long, measured);
    /// with rolled-up hours, from their waits to the second added to the calls read, to the second.
    /// </summary>
    async Task<(double? P50, double? P90)> WaitPercentilesAsync(MetricsPeriod period, Guid? businessId, Split split, CancellationToken ct)
    {
        var filter = businessId is null ? "" : "AND c.business_id = @business";
        if (!split.Rolled)
        {
            var percentiles = $"""
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS wait_p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) AS wait_p90
                FROM (SELECT EXTRACT(EPOCH FROM c.answered_at - c.received_at)::float8 AS wait FROM calls c
                      WHERE {Ranges(split, withRepeatWindow: false)} AND c.answered_at IS NOT NULL {filter}) answered
                """;
            var exact = (await db.Database.SqlQueryRaw<WaitRow>(percentiles, Parameters(period, businessId, split)).ToListAsync(ct)).Single();
            return (exact.WaitP50, exact.WaitP90);
        }
        var histogram = $"""
            SELECT wait_second, sum(calls)::bigint AS calls
            FROM (SELECT {WaitSecond} AS wait_second, 1::bigint AS calls FROM calls c
                  WHERE {Ranges(split, withRepeatWindow: false)} AND c.answered_at IS NOT NULL
                  UNION ALL
                  SELECT w.wait_second, w.calls FROM call_wait_hourly w WHERE w.hour >= @head_end AND w.hour < @tail_start) waits
            GROUP BY wait_second ORDER BY wait_second
            """;
        var seconds = await db.Database.SqlQueryRaw<WaitSecondRow>(histogram, Parameters(period, businessId, split)).ToListAsync(ct);
        return (PercentileOfSeconds(seconds, 0.5), PercentileOfSeconds(seconds, 0.9));
    }

    /// <summary>
    /// percentile_cont over waits known to the second: the calls of second s are taken as spread evenly over
    /// [s, s + 1), so the answer is within a second of the exact one.
    /// </summary>
    internal static double? PercentileOfSeconds(IReadOnlyList<WaitSecondRow> seconds, double fraction)
    {
        var total = seconds.Sum(s => s.Calls);
        if (total == 0)
            return null;
        double ValueAt(long rank)
        {
            var before = 0L;
            foreach (var s in seconds)
            {
                if (rank < before + s.Calls)
                    return s.WaitSecond + (rank - before + 0.5) / s.Calls;
                before += s.Calls;
            }
            return seconds[^1].WaitSecond + 1;
        }
        var position = fraction * (total - 1);
        var lower = (long)Math.Floor(position);
        var below = ValueAt(lower);
        return below + (position - lower) * (ValueAt((long)Math.Ceiling(position)) - below);
    }

    /// <summary>
    /// Which part of the period comes from the rollup: [HeadEnd, TailStart) when non-empty; the calls of
    /// [From, HeadEnd) and [TailStart, To) are read. Only whole hours the rollup holds, summed with today's
    /// thresholds, in a time zone whose offset is whole hours (the hours of day of a UTC hour are then one hour).
    /// </summary>
    async Task<Split> SplitAsync(MetricsPeriod period, CancellationToken ct)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(period.TimeZone);
        if (zone.GetUtcOffset(period.From).Ticks % TimeSpan.TicksPerHour != 0 || zone.GetUtcOffset(period.To).Ticks % TimeSpan.TicksPerHour != 0)
            return Split.None(period);
        var state = await db.Set<MetricsRollupState>().AsNoTracking().SingleOrDefaultAsync(ct);
        if (state is null || state.ServiceLevelSeconds != Options.ServiceLevelSeconds
            || state.ShortAbandonSeconds != Options.ShortAbandonSeconds || state.BillingSlaSeconds != calls.Value.AnswerSlaSeconds)
            return Split.None(period);
        var fromHour = FloorHour(period.From);
        var start = new[] { fromHour == period.From ? fromHour : fromHour.AddHours(1), state.CoveredFrom }.Max();
        var end = new[] { FloorHour(period.To), state.RolledUntil }.Min();
        return start < end ? new Split(start, end) : Split.None(period);
    }

    internal static DateTimeOffset FloorDay(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerDay, TimeSpan.Zero);
    }

    internal static DateTimeOffset FloorHour(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerHour, TimeSpan.Zero);
    }

    /// <summary>The time ranges of the calls read (constant SQL).</summary>
    static string Ranges(Split split, bool withRepeatWindow)
    {
        var after = withRepeatWindow ? " + interval '7 days'" : "";
        return split.Rolled
            ? $"((c.received_at >= @from AND c.received_at < @head_end{after}) OR (c.received_at >= @tail_start AND c.received_at < @to{after}))"
            : $"c.received_at >= @from AND c.received_at < @to{after}";
    }

    /// <summary>The per-call CTE <c>c</c> over the calls read. Only constant SQL is put together here (the business
    /// filter is one of two fixed texts); every value is a parameter.</summary>
    static string CallsSql(MetricsPeriod period, Guid? businessId, Split split, bool forReport)
    {
        var filter = businessId is null ? "" : "AND c.business_id = @business";
        // The report needs repeats and handle time; the wallboard's figures show neither. Beside the rollup only
        // part-hours of calls are read: a lookup each beats sorting a week of calls or hashing every summary.
        var fewCalls = businessId is not null || split.Rolled;
        var (source, repeat) = !forReport ? ("calls", "NULL::boolean")
            : split.Rolled ? ("calls", RepeatLookup)
            : (string.Format(CallsWithNext, filter, Ranges(split, withRepeatWindow: true)), Repeat);
        return string.Format(PeriodCalls, filter, source, repeat, Handling(forReport, fewCalls), HandlingJoins(forReport, fewCalls),
            Ranges(split, withRepeatWindow: false));
    }

    /// <summary>Runs <paramref name="select"/> after the per-call CTE <c>c</c>.</summary>
    Task<List<T>> QueryAsync<T>(MetricsPeriod period, Guid? businessId, Split split, bool forReport, string select, CancellationToken ct)
    {
        var sql = CallsSql(period, businessId, split, forReport) + select;
        return db.Database.SqlQueryRaw<T>(sql, Parameters(period, businessId, split)).ToListAsync(ct);
    }

    object[] Parameters(MetricsPeriod period, Guid? businessId, Split split)
    {
        List<object> parameters =
        [
            new NpgsqlParameter("from", period.From.ToUniversalTime()),
            new NpgsqlParameter("to", period.To.ToUniversalTime()),
            new NpgsqlParameter("head_end", split.HeadEnd.ToUniversalTime()),
            new NpgsqlParameter("tail_start", split.TailStart.ToUniversalTime()),
            new NpgsqlParameter("day_start", split.DayStart.ToUniversalTime()),
            new NpgsqlParameter("day_end", split.DayEnd.ToUniversalTime()),
            new NpgsqlParameter("now", clock.GetUtcNow()),
            new NpgsqlParameter("tz", period.TimeZone),
            new NpgsqlParameter("short", (double)Options.ShortAbandonSeconds),
            new NpgsqlParameter("sl", (double)Options.ServiceLevelSeconds),
            new NpgsqlParameter("billing", (double)calls.Value.AnswerSlaSeconds),
        ];
        if (businessId is { } id)
            parameters.Add(new NpgsqlParameter("business", id));
        return [.. parameters];
    }

    internal static double? Ratio(double part, double whole) => whole == 0 ? null : Math.Round(part / whole, 4);
    internal static double? Round(double? seconds) => seconds is { } s ? Math.Round(s, 1) : null;

    /// <summary>The part of a period summed beforehand: [HeadEnd, TailStart), empty when they are equal; the whole UTC
    /// days in it, [DayStart, DayEnd) (both TailStart when there are none).</summary>
    sealed record Split(DateTimeOffset HeadEnd, DateTimeOffset TailStart)
    {
        public static Split None(MetricsPeriod period) => new(period.To, period.To);
        public bool Rolled => HeadEnd < TailStart;
        DateTimeOffset FirstMidnight => FloorDay(HeadEnd) == HeadEnd ? HeadEnd : FloorDay(HeadEnd).AddDays(1);
        bool HasDays => FirstMidnight < FloorDay(TailStart);
        public DateTimeOffset DayStart => HasDays ? FirstMidnight : TailStart;
        public DateTimeOffset DayEnd => HasDays ? FloorDay(TailStart) : TailStart;
    }

    // Raw rows as SQL returns them (snake_case columns map to these properties).
    /// <summary>One slice's sums: the totals, an hour of day, a business or an operator (<see cref="Slice"/>).</summary>
    public sealed record SliceRow(string Slice, int? Hour, Guid? BusinessId, Guid? OperatorId, long Offered, long Answered,
        long Abandoned, long ShortAbandoned, long Overflowed, long AnsweredWithinTarget, long AnsweredWithinBillingSla,
        long Handled, long NotLive, long Missed, long NotBilled, long Repeated, double WaitSeconds, double TalkSeconds,
        double HoldSeconds, double WrapUpSeconds)
    {
        public static readonly SliceRow Empty = new("total", null, null, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        public Counts Counts => new(Offered, Answered, Abandoned, ShortAbandoned, Overflowed, AnsweredWithinTarget,
            Answered == 0 ? null : WaitSeconds / Answered, Handled,
            Handled == 0 ? null : TalkSeconds / Handled, Handled == 0 ? null : HoldSeconds / Handled,
            Handled == 0 ? null : WrapUpSeconds / Handled);
    }

    sealed record WaitRow(double? WaitP50, double? WaitP90);

    internal sealed record WaitSecondRow(int WaitSecond, long Calls);

    sealed record StateRow(Guid OperatorId, double AvailableSeconds, double BusySeconds, double StateWrapUpSeconds,
        long Offers, long OffersAnswered, long OffersMissed, long OffersDeclined, long OffersWithdrawn);
}

/// <summary>The counts a figure set is made of, with its averages.</summary>
public sealed record Counts(long Offered, long Answered, long Abandoned, long ShortAbandoned, long Overflowed,
    long AnsweredWithinTarget, double? AverageWait, long Handled, double? AverageTalk, double? AverageHold, double? AverageWrapUp)
{
    /// <summary>AHT = talk + hold + wrap-up per handled call; null with none handled.</summary>
    public double? AverageHandleTime => Handled == 0 ? null : (AverageTalk ?? 0) + (AverageHold ?? 0) + (AverageWrapUp ?? 0);
}
