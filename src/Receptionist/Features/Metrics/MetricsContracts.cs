using System.Globalization;

namespace Receptionist.Features.Metrics;

/// <summary>The thresholds the figures were computed with, so a reader knows what "within target" meant.</summary>
public sealed record MetricsThresholds(int ServiceLevelSeconds, int ShortAbandonSeconds, double ServiceLevelTarget, int BillingSlaSeconds);

/// <summary>
/// The service-level figures of one period (DESIGN.md, "Measures"). Counts are calls that entered the queue in the
/// period. <c>abandoned</c> counts callers who hung up after the short-abandon time; <c>shortAbandoned</c> those who
/// hung up sooner (left out of SL and abandonment). Ratios are 0–1 and null when nothing was there to divide by;
/// times are seconds.
/// </summary>
public sealed record MetricsReport(
    DateTimeOffset From,
    DateTimeOffset To,
    string TimeZone,
    MetricsThresholds Thresholds,
    long Offered,
    long Answered,
    long Abandoned,
    long ShortAbandoned,
    long Overflowed,
    /// <summary>Calls that went straight to the fallback because the business was not live (not offered).</summary>
    long NotLive,
    /// <summary>Calls that ended without an operator (abandoned, overflowed, failed, not live).</summary>
    long Missed,
    /// <summary>Answered calls that waited past the billing SLA, so were not billed.</summary>
    long NotBilled,
    double? ServiceLevel,
    /// <summary>Answered within the billing SLA / (answered + abandoned): the billing rule, reported beside the SL.</summary>
    double? AnsweredWithinBillingSla,
    double? AverageSpeedOfAnswerSeconds,
    double? WaitP50Seconds,
    double? WaitP90Seconds,
    double? AbandonmentRate,
    double? OverflowRate,
    long Handled,
    double? AverageHandleTimeSeconds,
    double? AverageTalkSeconds,
    double? AverageHoldSeconds,
    double? AverageWrapUpSeconds,
    long RepeatCalls,
    double? RepeatCallRate,
    IReadOnlyList<HourFigures> ByHour,
    /// <summary>Admins only.</summary>
    IReadOnlyList<OperatorFigures>? ByOperator,
    /// <summary>Admins only.</summary>
    IReadOnlyList<BusinessFigures>? ByBusiness)
{
    internal static MetricsReport Create(MetricsPeriod period, MetricsQuery.SliceRow t, (double? P50, double? P90) waits,
        MetricsOptions options, int billingSla,
        IReadOnlyList<HourFigures> hours, IReadOnlyList<OperatorFigures>? operators, IReadOnlyList<BusinessFigures>? businesses)
    {
        var c = t.Counts;
        var f = Figure.Of(c, options);
        return new(period.From, period.To, period.TimeZone,
            new(options.ServiceLevelSeconds, options.ShortAbandonSeconds, options.ServiceLevelTarget, billingSla),
            t.Offered, t.Answered, t.Abandoned, t.ShortAbandoned, t.Overflowed, t.NotLive, t.Missed, t.NotBilled,
            f.ServiceLevel, MetricsQuery.Ratio(t.AnsweredWithinBillingSla, t.Answered + t.Abandoned),
            f.AverageSpeedOfAnswerSeconds, MetricsQuery.Round(waits.P50), MetricsQuery.Round(waits.P90),
            f.AbandonmentRate, MetricsQuery.Ratio(t.Overflowed, t.Offered),
            t.Handled, f.AverageHandleTimeSeconds, MetricsQuery.Round(c.AverageTalk), MetricsQuery.Round(c.AverageHold),
            MetricsQuery.Round(c.AverageWrapUp), t.Repeated, MetricsQuery.Ratio(t.Repeated, t.Answered),
            hours, operators, businesses);
    }
}

/// <summary>The headline figures of a slice of the period (an hour of day, a business).</summary>
public sealed record Figure(
    long Offered,
    long Answered,
    long Abandoned,
    long ShortAbandoned,
    long Overflowed,
    double? ServiceLevel,
    double? AverageSpeedOfAnswerSeconds,
    double? AbandonmentRate,
    double? AverageHandleTimeSeconds)
{
    internal static Figure Of(Counts c, MetricsOptions options) => new(
        c.Offered, c.Answered, c.Abandoned, c.ShortAbandoned, c.Overflowed,
        MetricsQuery.Ratio(c.AnsweredWithinTarget, c.Answered + c.Abandoned),
        MetricsQuery.Round(c.AverageWait),
        MetricsQuery.Ratio(c.Abandoned, c.Offered - c.ShortAbandoned),
        MetricsQuery.Round(c.AverageHandleTime));
}

/// <summary>Calls that entered the queue in this hour of the day (0–23, in the report's time zone), over the period.</summary>
public sealed record HourFigures(int Hour, Figure Figures);

public sealed record BusinessFigures(Guid BusinessId, string Name, Figure Figures);

/// <summary>
/// One operator over the period: calls answered and handled (answered and ended), AHT and its parts, time in each
/// state, and occupancy = (talk + wrap-up) / (available + talk + wrap-up), talk being time busy on a call. Offers are
/// the calls push routing rang in their console in the period (a call they took by hand is not one), by how each
/// ended; <c>offerAnswerRate</c> = answered / (answered + missed + declined), leaving out offers the caller withdrew
/// by hanging up and any still ringing.
/// </summary>
public sealed record OperatorFigures(
    Guid OperatorId,
    string? Name,
    long Answered,
    long Handled,
    double? AverageHandleTimeSeconds,
    double? AverageTalkSeconds,
    double? AverageHoldSeconds,
    double? AverageWrapUpSeconds,
    double AvailableSeconds,
    double TalkSeconds,
    double WrapUpSeconds,
    double? Occupancy,
    long Offers,
    long OffersAnswered,
    long OffersMissed,
    long OffersDeclined,
    long OffersWithdrawn,
    double? OfferAnswerRate);

/// <summary>
/// A report's period: [From, To), in a time zone that gives dates and hours of day their meaning. A bare date is a
/// whole day there (from = its midnight, to = the next midnight); a date-time needs an offset (ISO 8601).
/// </summary>
public sealed record MetricsPeriod(DateTimeOffset From, DateTimeOffset To, string TimeZone)
{
    /// <summary>The period asked for, or field errors: unreadable from/to, from not before to, longer than the cap.
    /// Without from, the period starts at today's midnight; without to, it ends at the end of today.</summary>
    public static bool TryParse(string? from, string? to, string timeZone, DateTimeOffset now, int maxDays,
        out MetricsPeriod period, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var start = from is null ? Midnight(today, zone) : Read(from, zone, nextDay: false);
        var end = to is null ? Midnight(today.AddDays(1), zone) : Read(to, zone, nextDay: true);
        if (start is null)
            errors["from"] = ["Must be a date (2026-11-27) or a date and time with an offset (2026-11-27T09:00:00+03:00)."];
        if (end is null)
            errors["to"] = ["Must be a date (2026-11-27) or a date and time with an offset (2026-11-27T18:00:00+03:00)."];
        if (start is { } s && end is { } e)
        {
            if (s >= e)
                errors["from"] = ["Must be before 'to'."];
            else if (e - s > TimeSpan.FromDays(maxDays) + TimeSpan.FromHours(2)) // a day of a DST change is 25 hours
                errors["to"] = [$"A report covers at most {maxDays} days."];
        }
        period = new(start ?? now, end ?? now, timeZone);
        return errors.Count == 0;
    }

    /// <summary>Today as a whole day, so a call that arrives this very instant is already in it.</summary>
    public static MetricsPeriod Today(string timeZone, DateTimeOffset now)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        return new(Midnight(today, zone)!.Value, Midnight(today.AddDays(1), zone)!.Value, timeZone);
    }

    static DateTimeOffset? Read(string text, TimeZoneInfo zone, bool nextDay)
    {
        if (text.Length > 40)
            return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return Midnight(nextDay ? date.AddDays(1) : date, zone);
        // An offset is required: a bare local time would be read in the server's zone, which means nothing here.
        return text.Contains('T') && (text.EndsWith('Z') || text.LastIndexOfAny(['+', '-']) > text.IndexOf('T'))
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            ? instant : null;
    }

    static DateTimeOffset? Midnight(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
