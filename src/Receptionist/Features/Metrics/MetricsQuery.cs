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
    /// </summary>
    const string PeriodCalls = """
        WITH c AS (
            SELECT c.business_id, c.operator_id, c.outcome, c.billable, c.received_at, c.answered_at,
                   c.outcome IS DISTINCT FROM 'NotLive' AS offered,
                   EXTRACT(EPOCH FROM c.answered_at - c.received_at)::float8 AS wait,
                   c.outcome = 'Abandoned' AND EXTRACT(EPOCH FROM c.ended_at - c.received_at) <= @short AS short_abandon,
                   c.outcome = 'Abandoned' AND EXTRACT(EPOCH FROM c.ended_at - c.received_at) > @short AS abandon,
                   c.outcome = 'Answered' AND c.ended_at IS NOT NULL AS handled,
                   EXTRACT(EPOCH FROM c.ended_at - c.answered_at)::float8 AS talk,
                   COALESCE(GREATEST(0, EXTRACT(EPOCH FROM s.created_at - c.ended_at)), 0)::float8 AS wrap_up,
                   CASE WHEN c.answered_at IS NOT NULL THEN EXISTS (
                       SELECT 1 FROM calls r WHERE r.business_id = c.business_id AND r.caller_number = c.caller_number
                         AND r.received_at > c.received_at AND r.received_at <= c.received_at + interval '7 days') END AS repeat
            FROM calls c LEFT JOIN call_summaries s ON s.call_id = c.id
            WHERE c.received_at >= @from AND c.received_at < @to {0}
        )
        """;

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

    public async Task<MetricsReport> ReportAsync(MetricsPeriod period, Guid? businessId, bool withStaffBreakdowns, CancellationToken ct)
    {
        var totals = await TotalsAsync(period, businessId, ct);
        var hours = await HoursAsync(period, businessId, ct);
        List<OperatorFigures>? operators = null;
        List<BusinessFigures>? businesses = null;
        if (withStaffBreakdowns)
        {
            operators = await OperatorsAsync(period, ct);
            businesses = [.. (await QueryAsync<BusinessRow>(period, businessId, $"""
                SELECT c.business_id, b.name, {Figures}
                FROM c JOIN businesses b ON b.id = c.business_id
                GROUP BY c.business_id, b.name ORDER BY count(*) DESC, b.name
                """, ct)).Select(r => new BusinessFigures(r.BusinessId, r.Name, Figure.Of(r.Counts, Options)))];
        }
        return MetricsReport.Create(period, totals, Options, calls.Value.AnswerSlaSeconds,
            hours, operators, businesses);
    }

    /// <summary>Calls by hour of the day they entered the queue, in the period's time zone.</summary>
    public async Task<List<HourFigures>> HoursAsync(MetricsPeriod period, Guid? businessId, CancellationToken ct) =>
        [.. (await QueryAsync<HourRow>(period, businessId, $"""
            SELECT EXTRACT(HOUR FROM received_at AT TIME ZONE @tz)::int AS hour, {Figures}
            FROM c GROUP BY 1 ORDER BY 1
            """, ct)).Select(h => new HourFigures(h.Hour, Figure.Of(h.Counts, Options)))];

    public async Task<TotalsRow> TotalsAsync(MetricsPeriod period, Guid? businessId, CancellationToken ct) =>
        (await QueryAsync<TotalsRow>(period, businessId, $"""
            SELECT {Figures},
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS wait_p50,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) AS wait_p90,
                   count(*) FILTER (WHERE outcome = 'NotLive') AS not_live,
                   count(*) FILTER (WHERE outcome IS NOT NULL AND outcome <> 'Answered') AS missed,
                   count(*) FILTER (WHERE answered_at IS NOT NULL AND NOT billable) AS not_billed,
                   count(*) FILTER (WHERE repeat) AS repeated
            FROM c
            """, ct)).Single();

    /// <summary>
    /// Per operator: calls handled and their parts, and occupancy from the state spans clipped to the period
    /// (talk = busy, from the claim to the end of the call; wrap-up; available). Operators who only waited show too.
    /// </summary>
    async Task<List<OperatorFigures>> OperatorsAsync(MetricsPeriod period, CancellationToken ct)
    {
        // Only constant SQL is put together here; every value is a parameter.
        var sql = string.Format(PeriodCalls, "") + """
            , handled AS (
                SELECT operator_id, count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
                       count(*) FILTER (WHERE handled) AS handled,
                       avg(talk) FILTER (WHERE handled) AS average_talk, avg(wrap_up) FILTER (WHERE handled) AS average_wrap_up
                FROM c WHERE operator_id IS NOT NULL GROUP BY operator_id
            ),
            spans AS (
                SELECT i.operator_id, i.state,
                       GREATEST(0, EXTRACT(EPOCH FROM LEAST(COALESCE(i.ended_at, @now), @to) - GREATEST(i.started_at, @from)))::float8 AS seconds
                FROM operator_state_intervals i
                WHERE i.state <> 'Offline' AND ((i.started_at >= @from AND i.started_at < @to)
                   OR (i.started_at < @from AND (i.ended_at > @from OR i.ended_at IS NULL)))
            ),
            states AS (
                SELECT operator_id,
                       COALESCE(sum(seconds) FILTER (WHERE state = 'Available'), 0) AS available_seconds,
                       COALESCE(sum(seconds) FILTER (WHERE state = 'Busy'), 0) AS busy_seconds,
                       COALESCE(sum(seconds) FILTER (WHERE state = 'WrapUp'), 0) AS wrap_up_seconds
                FROM spans GROUP BY operator_id
            )
            SELECT u.id AS operator_id, COALESCE(u.display_name, u.email) AS name,
                   COALESCE(h.answered, 0) AS answered, COALESCE(h.handled, 0) AS handled, h.average_talk, h.average_wrap_up,
                   COALESCE(s.available_seconds, 0) AS available_seconds, COALESCE(s.busy_seconds, 0) AS busy_seconds,
                   COALESCE(s.wrap_up_seconds, 0) AS wrap_up_seconds
            FROM handled h FULL JOIN states s ON s.operator_id = h.operator_id
            JOIN users u ON u.id = COALESCE(h.operator_id, s.operator_id)
            ORDER BY COALESCE(h.handled, 0) DESC, name
            """;
        var rows = await db.Database.SqlQueryRaw<OperatorRow>(sql, Parameters(period, null)).ToListAsync(ct);
        return [.. rows.Select(r =>
        {
            var worked = r.BusySeconds + r.WrapUpSeconds;
            var aht = r.Handled == 0 ? (double?)null : (r.AverageTalk ?? 0) + (r.AverageWrapUp ?? 0);
            return new OperatorFigures(r.OperatorId, r.Name, r.Answered, r.Handled, Round(aht), Round(r.AverageTalk), 0,
                Round(r.AverageWrapUp), Math.Round(r.AvailableSeconds), Math.Round(r.BusySeconds), Math.Round(r.WrapUpSeconds),
                Ratio(worked, r.AvailableSeconds + worked));
        })];
    }

    /// <summary>Runs <paramref name="select"/> over the period's calls. Only constant SQL is put together here
    /// (the business filter is one of two fixed texts); every value is a parameter.</summary>
    Task<List<T>> QueryAsync<T>(MetricsPeriod period, Guid? businessId, string select, CancellationToken ct)
    {
        var sql = string.Format(PeriodCalls, businessId is null ? "" : "AND c.business_id = @business") + select;
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
    public sealed record TotalsRow(long Offered, long Answered, long Abandoned, long ShortAbandoned, long Overflowed,
        long AnsweredWithinTarget, long AnsweredWithinBillingSla, double? AverageWait, long Handled, double? AverageTalk,
        double? AverageWrapUp, double? WaitP50, double? WaitP90, long NotLive, long Missed, long NotBilled, long Repeated)
    {
        public Counts Counts => new(Offered, Answered, Abandoned, ShortAbandoned, Overflowed, AnsweredWithinTarget, AverageWait, Handled, AverageTalk, AverageWrapUp);
    }

    sealed record HourRow(int Hour, long Offered, long Answered, long Abandoned, long ShortAbandoned, long Overflowed,
        long AnsweredWithinTarget, long AnsweredWithinBillingSla, double? AverageWait, long Handled, double? AverageTalk, double? AverageWrapUp)
    {
        public Counts Counts => new(Offered, Answered, Abandoned, ShortAbandoned, Overflowed, AnsweredWithinTarget, AverageWait, Handled, AverageTalk, AverageWrapUp);
    }

    sealed record BusinessRow(Guid BusinessId, string Name, long Offered, long Answered, long Abandoned, long ShortAbandoned, long Overflowed,
        long AnsweredWithinTarget, long AnsweredWithinBillingSla, double? AverageWait, long Handled, double? AverageTalk, double? AverageWrapUp)
    {
        public Counts Counts => new(Offered, Answered, Abandoned, ShortAbandoned, Overflowed, AnsweredWithinTarget, AverageWait, Handled, AverageTalk, AverageWrapUp);
    }

    sealed record OperatorRow(Guid OperatorId, string? Name, long Answered, long Handled, double? AverageTalk, double? AverageWrapUp,
        double AvailableSeconds, double BusySeconds, double WrapUpSeconds);
}

/// <summary>The counts a figure set is made of.</summary>
public sealed record Counts(long Offered, long Answered, long Abandoned, long ShortAbandoned, long Overflowed,
    long AnsweredWithinTarget, double? AverageWait, long Handled, double? AverageTalk, double? AverageWrapUp);
