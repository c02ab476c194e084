using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Calls;

/// <param name="Outcome">An outcome's JSON name, or <c>inProgress</c>.</param>
public sealed record CallsOnDay(DateOnly Date, string Outcome, int Calls);

/// <param name="Weekday">1 = Monday … 7 = Sunday, in the business's time zone.</param>
public sealed record CallsInHour(int Weekday, int Hour, int Calls);

/// <summary>The series the owner's dashboard draws, computed here so every client draws the same figures.</summary>
public sealed record CallStatsResponse(DateTimeOffset From, DateTimeOffset To, string TimeZone,
    IReadOnlyList<CallsOnDay> ByDay, IReadOnlyList<CallsInHour> ByWeekdayAndHour);

public static class CallStats
{
    const int MaxDays = 92;

    public static IEndpointRouteBuilder MapCallStats(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/businesses/{id:guid}/calls-stats").WithTags("Calls").RequireAuthorization(Policies.Owner)
            .MapGet("/", GetCallStats).WithName(nameof(GetCallStats))
            .WithSummary("Calls per day by outcome and per weekday and hour, in the business's time zone (default: the last 30 days)");
        return app;
    }

    static async Task<Results<Ok<CallStatsResponse>, NotFound, ValidationProblem>> GetCallStats(
        Guid id, AppDbContext db, CurrentUser owner, TimeProvider clock, CancellationToken ct,
        DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var end = to ?? clock.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        var errors = new Dictionary<string, string[]>();
        if (start > end)
            errors["from"] = ["Must not be after 'to'."];
        else if (end - start > TimeSpan.FromDays(MaxDays))
            errors["to"] = [$"A report covers at most {MaxDays} days."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var zone = await db.OwnedBy(owner).Where(b => b.Id == id).Select(b => b.TimeZone).FirstOrDefaultAsync(ct);
        if (zone is null)
            return TypedResults.NotFound();

        // One pass each over the period's calls (the business's calls are indexed by time of arrival).
        var byDay = await db.Database.SqlQuery<CallsOnDay>($"""
            SELECT (received_at AT TIME ZONE {zone})::date AS date,
                   CASE outcome WHEN 'Answered' THEN 'answered' WHEN 'Abandoned' THEN 'abandoned' WHEN 'Overflowed' THEN 'overflowed'
                                WHEN 'NotLive' THEN 'notLive' WHEN 'Failed' THEN 'failed' ELSE 'inProgress' END AS outcome,
                   count(*)::int AS calls
            FROM calls WHERE business_id = {id} AND received_at >= {start} AND received_at < {end}
            GROUP BY 1, 2 ORDER BY 1, 2
            """).ToListAsync(ct);
        var byHour = await db.Database.SqlQuery<CallsInHour>($"""
            SELECT extract(isodow FROM received_at AT TIME ZONE {zone})::int AS weekday,
                   extract(hour FROM received_at AT TIME ZONE {zone})::int AS hour, count(*)::int AS calls
            FROM calls WHERE business_id = {id} AND received_at >= {start} AND received_at < {end}
            GROUP BY 1, 2 ORDER BY 1, 2
            """).ToListAsync(ct);
        return TypedResults.Ok(new CallStatsResponse(start, end, zone, byDay, byHour));
    }
}
