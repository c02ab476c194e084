using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Console;
using Receptionist.Features.Queue;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Metrics;

/// <summary>An operator as the wallboard shows them: their state and for how long.</summary>
public sealed record OperatorNow(Guid OperatorId, string? Name, PresenceState State, DateTimeOffset Since, int Seconds);

/// <summary>
/// What the admin wallboard shows: the queue now, the operators now, today's figures (in Metrics:TimeZone) with calls
/// per hour, and the service level of the last Metrics:AlertWindowMinutes, with an alert when it is under the target.
/// Handle times are the report's (null here: the wallboard reads no summaries, to stay fast).
/// </summary>
public sealed record Wallboard(
    DateTimeOffset Now,
    int Waiting,
    int? LongestWaitSeconds,
    IReadOnlyList<OperatorNow> Operators,
    Figure Today,
    IReadOnlyList<HourFigures> TodayByHour,
    int AlertWindowMinutes,
    Figure Recent,
    double ServiceLevelTarget,
    bool ServiceLevelAlert);

public static class MetricsEndpoints
{
    public static IServiceCollection AddServiceLevelMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration("Metrics").ValidateDataAnnotations()
            .Validate(o => TimeZoneInfo.TryFindSystemTimeZoneById(o.TimeZone, out var zone) && zone.HasIanaId,
                "Metrics:TimeZone must be an IANA time zone (Europe/Moscow).")
            .ValidateOnStart();
        services.AddScoped<MetricsQuery>();
        services.AddScoped<MetricsRollup>();
        services.AddHostedService<MetricsRollupService>();
        return services;
    }

    public static IEndpointRouteBuilder MapServiceLevelMetrics(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").WithTags("Metrics").RequireAuthorization(Policies.Admin);
        admin.MapGet("/metrics", AdminMetrics).WithName(nameof(AdminMetrics))
            .WithSummary("Service-level figures of all calls in a period, by hour of day, operator and business")
            .WithDescription("from/to: a date (a whole day in Metrics:TimeZone) or an ISO 8601 date-time with an offset; "
                + "default today. At most Metrics:MaxPeriodDays.");
        admin.MapGet("/metrics.csv", AdminMetricsCsv).WithName(nameof(AdminMetricsCsv))
            .WithSummary("The same report as CSV (sections: totals, by hour, by operator, by business)");
        admin.MapGet("/wallboard", GetWallboard).WithName(nameof(GetWallboard))
            .WithSummary("The queue and the operators now, today's figures, and the service-level alert");
        admin.MapGet("/events", WallboardEvents).WithName(nameof(WallboardEvents))
            .WithSummary("Server-sent events, the same as the console's: one whenever the shared queue changes");

        var owner = app.MapGroup("/api/businesses/{id:guid}").WithTags("Metrics").RequireAuthorization(Policies.Owner);
        owner.MapGet("/metrics", BusinessMetrics).WithName(nameof(BusinessMetrics))
            .WithSummary("Service-level figures of this business's calls in a period (dates and hours in its time zone)");
        return app;
    }

    static async Task<Results<Ok<MetricsReport>, ValidationProblem>> AdminMetrics(
        MetricsQuery metrics, TimeProvider clock, CancellationToken ct, string? from = null, string? to = null)
    {
        if (!MetricsPeriod.TryParse(from, to, metrics.Options.TimeZone, clock.GetUtcNow(), metrics.Options.MaxPeriodDays, out var period, out var errors))
            return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await metrics.ReportAsync(period, null, withStaffBreakdowns: true, ct));
    }

    static async Task<Results<FileContentHttpResult, ValidationProblem>> AdminMetricsCsv(
        MetricsQuery metrics, TimeProvider clock, CancellationToken ct, string? from = null, string? to = null)
    {
        if (!MetricsPeriod.TryParse(from, to, metrics.Options.TimeZone, clock.GetUtcNow(), metrics.Options.MaxPeriodDays, out var period, out var errors))
            return TypedResults.ValidationProblem(errors);
        var report = await metrics.ReportAsync(period, null, withStaffBreakdowns: true, ct);
        var name = $"metrics-{period.From:yyyyMMddHHmm}-{period.To:yyyyMMddHHmm}.csv";
        return TypedResults.File(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(MetricsCsv.Write(report))).ToArray(),
            "text/csv; charset=utf-8", name);
    }

    static async Task<Results<Ok<MetricsReport>, NotFound, ValidationProblem>> BusinessMetrics(
        Guid id, AppDbContext db, CurrentUser owner, MetricsQuery metrics, TimeProvider clock, CancellationToken ct,
        string? from = null, string? to = null)
    {
        var timeZone = await db.OwnedBy(owner).Where(b => b.Id == id).Select(b => b.TimeZone).FirstOrDefaultAsync(ct);
        if (timeZone is null)
            return TypedResults.NotFound();
        if (!MetricsPeriod.TryParse(from, to, timeZone, clock.GetUtcNow(), metrics.Options.MaxPeriodDays, out var period, out var errors))
            return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await metrics.ReportAsync(period, id, withStaffBreakdowns: false, ct));
    }

    static async Task<Ok<Wallboard>> GetWallboard(AppDbContext db, MetricsQuery metrics, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var options = metrics.Options;
        // The queue claim's own partial index (ix_calls_waiting) holds exactly the waiting calls.
        var queue = (await db.Database.SqlQuery<QueueRow>($"""
            SELECT count(*)::int AS waiting, min(received_at) AS oldest FROM calls WHERE status = 'Waiting'
            """).ToListAsync(ct)).Single();
        var operators = await db.Database.SqlQuery<OperatorRow>($"""
            SELECT p.operator_id, COALESCE(u.display_name, u.email) AS name, p.state, p.updated_at
            FROM operator_presence p JOIN users u ON u.id = p.operator_id
            WHERE p.state <> 'Offline'
            ORDER BY p.updated_at
            """).ToListAsync(ct);
        var (today, hours) = await metrics.FiguresAsync(MetricsPeriod.Today(options.TimeZone, now), ct);
        // Up to and including now (periods end before their "to").
        var (recent, _) = await metrics.FiguresAsync(
            new MetricsPeriod(now.AddMinutes(-options.AlertWindowMinutes), now.AddMilliseconds(1), options.TimeZone), ct);
        return TypedResults.Ok(new Wallboard(now, queue.Waiting,
            queue.Oldest is { } oldest ? Seconds(now - oldest) : null,
            [.. operators.Select(o => new OperatorNow(o.OperatorId, o.Name,
                JsonConventions.TryParseName<PresenceState>(o.State, out var state) ? state : PresenceState.Offline,
                o.UpdatedAt, Seconds(now - o.UpdatedAt)))],
            today, hours, options.AlertWindowMinutes, recent, options.ServiceLevelTarget,
            ServiceLevelAlert: recent.ServiceLevel < options.ServiceLevelTarget));
    }

    static int Seconds(TimeSpan span) => Math.Max(0, (int)span.TotalSeconds);

    /// <summary>The console's own stream (the wallboard re-reads itself on each event, and on each heartbeat for
    /// operator states, which do not change the queue).</summary>
    static ServerSentEventsResult<string> WallboardEvents(ConsoleEventHub hub, CancellationToken ct) =>
        TypedResults.ServerSentEvents(ConsoleEndpoints.StreamAsync(hub, ct));

    sealed record QueueRow(int Waiting, DateTimeOffset? Oldest);
    sealed record OperatorRow(Guid OperatorId, string? Name, string State, DateTimeOffset UpdatedAt);
}

/// <summary>The report as CSV for spreadsheets: one section per table, separated by an empty line.</summary>
static class MetricsCsv
{
    public static string Write(MetricsReport r)
    {
        var csv = new StringBuilder();
        Line(csv, "figure", "value");
        Line(csv, "from", r.From.ToString("O", CultureInfo.InvariantCulture));
        Line(csv, "to", r.To.ToString("O", CultureInfo.InvariantCulture));
        Line(csv, "timeZone", r.TimeZone);
        foreach (var (name, value) in new (string, object?)[]
        {
            ("offered", r.Offered), ("answered", r.Answered), ("abandoned", r.Abandoned), ("shortAbandoned", r.ShortAbandoned),
            ("overflowed", r.Overflowed), ("notLive", r.NotLive), ("missed", r.Missed), ("notBilled", r.NotBilled),
            ("serviceLevel", r.ServiceLevel), ("answeredWithinBillingSla", r.AnsweredWithinBillingSla),
            ("averageSpeedOfAnswerSeconds", r.AverageSpeedOfAnswerSeconds), ("waitP50Seconds", r.WaitP50Seconds),
            ("waitP90Seconds", r.WaitP90Seconds), ("abandonmentRate", r.AbandonmentRate), ("overflowRate", r.OverflowRate),
            ("handled", r.Handled), ("averageHandleTimeSeconds", r.AverageHandleTimeSeconds),
            ("averageTalkSeconds", r.AverageTalkSeconds), ("averageHoldSeconds", r.AverageHoldSeconds),
            ("averageWrapUpSeconds", r.AverageWrapUpSeconds), ("repeatCalls", r.RepeatCalls), ("repeatCallRate", r.RepeatCallRate),
        })
            Line(csv, name, value);
        csv.AppendLine();
        string[] figureHeader = ["offered", "answered", "abandoned", "shortAbandoned", "overflowed", "serviceLevel",
            "averageSpeedOfAnswerSeconds", "abandonmentRate", "averageHandleTimeSeconds"];
        Line(csv, ["hour", .. figureHeader]);
        foreach (var h in r.ByHour)
            Line(csv, [h.Hour, .. Values(h.Figures)]);
        if (r.ByOperator is { } operators)
        {
            csv.AppendLine();
            Line(csv, "operator", "answered", "handled", "averageHandleTimeSeconds", "averageTalkSeconds", "averageHoldSeconds",
                "averageWrapUpSeconds", "availableSeconds", "talkSeconds", "wrapUpSeconds", "occupancy",
                "offers", "offersAnswered", "offersMissed", "offersDeclined", "offersWithdrawn", "offerAnswerRate");
            foreach (var o in operators)
                Line(csv, o.Name, o.Answered, o.Handled, o.AverageHandleTimeSeconds, o.AverageTalkSeconds, o.AverageHoldSeconds,
                    o.AverageWrapUpSeconds, o.AvailableSeconds, o.TalkSeconds, o.WrapUpSeconds, o.Occupancy,
                    o.Offers, o.OffersAnswered, o.OffersMissed, o.OffersDeclined, o.OffersWithdrawn, o.OfferAnswerRate);
        }
        if (r.ByBusiness is { } businesses)
        {
            csv.AppendLine();
            Line(csv, ["business", .. figureHeader]);
            foreach (var b in businesses)
                Line(csv, [b.Name, .. Values(b.Figures)]);
        }
        return csv.ToString();
    }

    static object?[] Values(Figure f) => [f.Offered, f.Answered, f.Abandoned, f.ShortAbandoned, f.Overflowed, f.ServiceLevel,
        f.AverageSpeedOfAnswerSeconds, f.AbandonmentRate, f.AverageHandleTimeSeconds];

    static void Line(StringBuilder csv, params object?[] values) =>
        csv.AppendLine(string.Join(',', values.Select(v => Cell(v))));

    static string Cell(object? value)
    {
        var text = value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? "";
        // A leading =, +, - or @ would make a spreadsheet run a business's name as a formula.
        if (text.Length > 0 && value is string && "=+-@".Contains(text[0]))
            text = "'" + text;
        return text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
    }
}
