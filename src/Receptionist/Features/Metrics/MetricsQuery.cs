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
    /// Each call of the period with what the figures need. Offered = entered the queue (every call but a not-live
    /// one, which went to the fallback at once). Wait = answered − received. Talk = ended − answered; wrap-up = from
    /// the end of the call to its summary (a summary written during the call leaves none); hold is 0 until transfers
    /// put callers on hold. Repeat = another call from the same number to the same business within 7 days.
    /// {0} is the business filter, {1} the calls (<see cref="CallsWithNext"/> when repeats are counted), {2} repeat,
    /// {3} wrap-up and {4} the join it needs (<see cref="WrapUps"/>).
    /// </summary>
    const string PeriodCalls = """
        WITH c AS (
            SELECT c.business_id, c.operator_id, c.outcome, c.billable, c.received_at, c.answered_at,
                   EXTRACT(HOUR FROM c.received_at AT TIME ZONE @tz)::int AS hour,
                   -- Blocked callers (Features/Blocking) never reach the queue: neither offered nor missed.
                   c.outcome IS DISTINCT FROM 'NotLive' AND c.outcome IS DISTINCT FROM 'Blocked' AS offered,
                   EXTRACT(EPOCH FROM c.answered_at - c.received_at)::float8 AS wait,
                   c.outcome = 'Abandoned' AND EXTRACT(EPOCH FROM c.ended_at - c.received_at) <= @short AS short_abandon,
                   c.outcome = 'Abandoned' AND EXTRACT(EPOCH FROM c.ended_at - c.received_at) > @short AS abandon,
                   c.outcome = 'Answered' AND c.ended_at IS NOT NULL AS handled,
                   EXTRACT(EPOCH FROM c.ended_at - c.answered_at)::float8 AS talk,
                   {3} AS wrap_up,
                   {2} AS repeat
            FROM {1} c {4}
            WHERE c.received_at >= @from AND c.received_at < @to {0}
        )
        """;

    /// <summary>
    /// The calls of the period and of the 7 days after it, each with the next call from the same number to the same
    /// business: one sort of the period, where a lookup per answered call took four times as long (measured).
    /// </summary>
    const string CallsWithNext = """
        (SELECT c.*, lead(c.received_at) OVER (PARTITION BY c.business_id, c.caller_number ORDER BY c.received_at) AS next_call
         FROM calls c WHERE c.received_at >= @from AND c.received_at < @to + interval '7 days' {0})
        """;
    const string Repeat = "(c.answered_at IS NOT NULL AND c.next_call <= c.received_at + interval '7 days')";

    /// <summary>
    /// Wrap-up of a handled call, in the way that is fastest for the calls at hand (measured on 1,000,000 calls): all
    /// businesses' calls join the summaries in one hash join; one business's few calls look their summaries up by key
    /// (a join there hashes every summary of every business); the wallboard shows no handle time and reads none.
    /// </summary>
    static (string WrapUp, string Join) WrapUps(Guid? businessId, bool needed) => !needed ? ("0::float8", "")
        : businessId is null
            ? ("COALESCE(CASE WHEN c.outcome = 'Answered' AND c.ended_at IS NOT NULL THEN GREATEST(0, EXTRACT(EPOCH FROM s.created_at - c.ended_at)) END, 0)::float8",
               "LEFT JOIN call_summaries s ON s.call_id = c.id")
            : ("""
               COALESCE(CASE WHEN c.outcome = 'Answered' AND c.ended_at IS NOT NULL THEN (
                   SELECT GREATEST(0, EXTRACT(EPOCH FROM s.created_at - c.ended_at)) FROM call_summaries s WHERE s.call_id = c.id) END, 0)::float8
               """, "");

    /// <summary>The counts and sums every breakdown repeats; ratios are made from them in C#, null when undefined.</summary>
    const string Figures = """
        count(*) FILTER (WHERE offered) AS offered,
        count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
        count(*) FILTER (WHERE abandon) AS abandoned,
        count(*) FILTER (WHERE short_abandon) AS short_abandoned,
        count(*) FILTER (WHERE outcome = 'Overflowed') AS overflowed,
        count(*) FILTER (WHERE wait <= @sl) AS answered_within_target,
        count(*) FILTER (WHERE wait <= @billing) AS answered_within_billing_sla,
        avg(wait) AS average_wait,
        count(*) FILTER (WHERE handled) AS handled,
        avg(talk) FILTER (WHERE handled) AS average_talk,
        avg(wrap_up) FILTER (WHERE handled) AS average_wrap_up
        """;

    public MetricsOptions Options => metrics.Value;

    /// <summary>
    /// The whole report in one pass over the period's calls: totals, hours and (for admins) businesses and operators
    /// are grouping sets of one aggregate, then the operators' state spans. One snapshot for both statements.
    /// </summary>
    public async Task<MetricsReport> ReportAsync(MetricsPeriod period, Guid? businessId, bool withStaffBreakdowns, CancellationToken ct)
    {
        await using var transaction = await ReadOnlySnapshotAsync(ct);
        var (slices, sets) = withStaffBreakdowns
            ? ("""
               CASE WHEN GROUPING(hour) = 0 THEN 'hour' WHEN GROUPING(business_id) = 0 THEN 'business'
                    WHEN GROUPING(operator_id) = 0 THEN 'operator' ELSE 'total' END AS slice, hour, business_id, operator_id
               """, "(), (hour), (business_id), (operator_id)")
            : ("CASE WHEN GROUPING(hour) = 0 THEN 'hour' ELSE 'total' END AS slice, hour, NULL::uuid AS business_id, NULL::uuid AS operator_id",
               "(), (hour)");
        var rows = await QueryAsync<SliceRow>(period, businessId, forReport: true, $"""
            SELECT {slices}, {Figures}, NULL::float8 AS wait_p50, NULL::float8 AS wait_p90,
                   count(*) FILTER (WHERE outcome = 'NotLive') AS not_live,
                   count(*) FILTER (WHERE outcome IS NOT NULL AND outcome NOT IN ('Answered', 'Blocked')) AS missed,
                   count(*) FILTER (WHERE answered_at IS NOT NULL AND NOT billable) AS not_billed,
                   count(*) FILTER (WHERE repeat) AS repeated
            FROM c GROUP BY GROUPING SETS ({sets})
            """, ct);
        // Percentiles of the wait in a statement of their own: an ordered-set aggregate among the grouping sets would
        // make every set sort (measured: the report took ten times as long).
        var filter = businessId is null ? "" : "AND c.business_id = @business";
        var percentiles = $"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS wait_p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) AS wait_p90
            FROM (SELECT EXTRACT(EPOCH FROM c.answered_at - c.received_at)::float8 AS wait FROM calls c
                  WHERE c.received_at >= @from AND c.received_at < @to AND c.answered_at IS NOT NULL {filter}) answered
            """;
        var waits = (await db.Database.SqlQueryRaw<WaitRow>(percentiles, Parameters(period, businessId)).ToListAsync(ct)).Single();
        var totals = (rows.SingleOrDefault(r => r.Slice == "total") ?? SliceRow.Empty) with { WaitP50 = waits.WaitP50, WaitP90 = waits.WaitP90 };
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
            operators = await OperatorsAsync(period, rows.Where(r => r.Slice == "operator" && r.OperatorId is not null).ToList(), ct);
        }
        await transaction.CommitAsync(ct);
        return MetricsReport.Create(period, totals, Options, calls.Value.AnswerSlaSeconds, hours, operators, businesses);
    }

    /// <summary>The headline figures of a period and its calls per hour, without what only the report needs (repeat
    /// calls, percentiles, breakdowns): the wallboard asks for these on every queue change.</summary>
    public async Task<(Figure Totals, List<HourFigures> Hours)> FiguresAsync(MetricsPeriod period, CancellationToken ct)
    {
        await using var transaction = await ReadOnlySnapshotAsync(ct);
        var rows = await QueryAsync<SliceRow>(period, null, forReport: false, $"""
            SELECT CASE WHEN GROUPING(hour) = 0 THEN 'hour' ELSE 'total' END AS slice, hour,
                   NULL::uuid AS business_id, NULL::uuid AS operator_id, {Figures},
                   NULL::float8 AS wait_p50, NULL::float8 AS wait_p90, 0::bigint AS not_live, 0::bigint AS missed,
                   0::bigint AS not_billed, 0::bigint AS repeated
            FROM c GROUP BY GROUPING SETS ((), (hour))
            """, ct);
        await transaction.CommitAsync(ct);
        // No summaries were read, so there is no handle time to show.
        Figure Of(SliceRow r) => Figure.Of(r.Counts, Options) with { AverageHandleTimeSeconds = null };
        return (Of(rows.SingleOrDefault(r => r.Slice == "total") ?? SliceRow.Empty),
            [.. rows.Where(r => r.Slice == "hour").OrderBy(r => r.Hour).Select(r => new HourFigures(r.Hour!.Value, Of(r)))]);
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
    /// clipped to the period (talk = busy, from the claim to the end of the call; wrap-up; available). Operators who
    /// only waited show too.
    /// </summary>
    async Task<List<OperatorFigures>> OperatorsAsync(MetricsPeriod period, List<SliceRow> handled, CancellationToken ct)
    {
        var states = await db.Database.SqlQueryRaw<StateRow>("""
            SELECT operator_id,
                   COALESCE(sum(seconds) FILTER (WHERE state = 'Available'), 0) AS available_seconds,
                   COALESCE(sum(seconds) FILTER (WHERE state = 'Busy'), 0) AS busy_seconds,
                   COALESCE(sum(seconds) FILTER (WHERE state = 'WrapUp'), 0) AS wrap_up_seconds
            FROM (SELECT i.operator_id, i.state,
                         GREATEST(0, EXTRACT(EPOCH FROM LEAST(COALESCE(i.ended_at, @now), @to) - GREATEST(i.started_at, @from)))::float8 AS seconds
                  FROM operator_state_intervals i
                  WHERE i.state <> 'Offline' AND ((i.started_at >= @from AND i.started_at < @to)
                     OR (i.started_at < @from AND (i.ended_at > @from OR i.ended_at IS NULL)))) spans
            GROUP BY operator_id
            """, Parameters(period, null)).ToDictionaryAsync(r => r.OperatorId, ct);
        var byOperator = handled.ToDictionary(r => r.OperatorId!.Value);
        var ids = byOperator.Keys.Union(states.Keys).ToList();
        var names = await db.Set<Accounts.AppUser>().Where(u => ids.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName ?? u.Email, ct);
        return [.. ids.Select(id =>
        {
            var r = byOperator.GetValueOrDefault(id) ?? SliceRow.Empty;
            var s = states.GetValueOrDefault(id) ?? new StateRow(id, 0, 0, 0);
            var worked = s.BusySeconds + s.WrapUpSeconds;
            var aht = r.Handled == 0 ? (double?)null : (r.AverageTalk ?? 0) + (r.AverageWrapUp ?? 0);
            return new OperatorFigures(id, names.GetValueOrDefault(id), r.Answered, r.Handled, Round(aht), Round(r.AverageTalk), 0,
                Round(r.AverageWrapUp), Math.Round(s.AvailableSeconds), Math.Round(s.BusySeconds), Math.Round(s.WrapUpSeconds),
                Ratio(worked, s.AvailableSeconds + worked));
        }).OrderByDescending(o => o.Handled).ThenBy(o => o.Name)];
    }

    /// <summary>Runs <paramref name="select"/> over the period's calls. Only constant SQL is put together here
    /// (the business filter is one of two fixed texts); every value is a parameter.</summary>
    Task<List<T>> QueryAsync<T>(MetricsPeriod period, Guid? businessId, bool forReport, string select, CancellationToken ct)
    {
        var filter = businessId is null ? "" : "AND c.business_id = @business";
        // The report needs repeats and handle time; the wallboard's figures show neither.
        var (wrapUp, join) = WrapUps(businessId, needed: forReport);
        var sql = string.Format(PeriodCalls, filter, forReport ? string.Format(CallsWithNext, filter) : "calls",
            forReport ? Repeat : "NULL::boolean", wrapUp, join) + select;
        return db.Database.SqlQueryRaw<T>(sql, Parameters(period, businessId)).ToListAsync(ct);
    }

    object[] Parameters(MetricsPeriod period, Guid? businessId)
    {
        List<object> parameters =
        [
            new NpgsqlParameter("from", period.From.ToUniversalTime()),
            new NpgsqlParameter("to", period.To.ToUniversalTime()),
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

    // Raw rows as SQL returns them (snake_case columns map to these properties).
    /// <summary>One grouping set's row: the totals, an hour, a business or an operator (<see cref="Slice"/>).</summary>
    public sealed record SliceRow(string Slice, int? Hour, Guid? BusinessId, Guid? OperatorId, long Offered, long Answered,
        long Abandoned, long ShortAbandoned, long Overflowed, long AnsweredWithinTarget, long AnsweredWithinBillingSla,
        double? AverageWait, long Handled, double? AverageTalk, double? AverageWrapUp, double? WaitP50, double? WaitP90,
        long NotLive, long Missed, long NotBilled, long Repeated)
    {
        public static readonly SliceRow Empty = new("total", null, null, null, 0, 0, 0, 0, 0, 0, 0, null, 0, null, null, null, null, 0, 0, 0, 0);
        public Counts Counts => new(Offered, Answered, Abandoned, ShortAbandoned, Overflowed, AnsweredWithinTarget, AverageWait, Handled, AverageTalk, AverageWrapUp);
    }

    sealed record WaitRow(double? WaitP50, double? WaitP90);

    sealed record StateRow(Guid OperatorId, double AvailableSeconds, double BusySeconds, double WrapUpSeconds);
}

/// <summary>The counts a figure set is made of.</summary>
public sealed record Counts(long Offered, long Answered, long Abandoned, long ShortAbandoned, long Overflowed,
    long AnsweredWithinTarget, double? AverageWait, long Handled, double? AverageTalk, double? AverageWrapUp);
