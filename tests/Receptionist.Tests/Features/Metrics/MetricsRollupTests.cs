using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Features.Metrics;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Metrics;

/// <summary>
/// Long admin reports add up hours summed beforehand (the rollup) and read only the calls of the hours it does not
/// hold: the figures must be the ones that reading every call gives. This class has a database of its own, so its
/// rollup never covers another test's calls.
/// </summary>
public sealed class MetricsRollupTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    Task<bool> RefreshAsync() => Rollup.RefreshAsync(app);

    async Task<Guid> OperatorIdAsync(string name)
    {
        var (_, email) = await app.NewOperatorAsync(name);
        return await app.ScalarAsync<Guid>("SELECT id FROM users WHERE email = $1", email);
    }

    static Task<JsonObject> ReportAsync(HttpClient admin, DateTimeOffset from) => Rollup.ReportAsync(admin, from);

    /// <summary>The report with the wait's percentiles taken out (from the rollup they are known to the second).</summary>
    static (string Others, double? P50, double? P90) Split(JsonObject report)
    {
        var copy = report.DeepClone().AsObject();
        var p50 = copy["waitP50Seconds"]?.GetValue<double>();
        var p90 = copy["waitP90Seconds"]?.GetValue<double>();
        copy.Remove("waitP50Seconds");
        copy.Remove("waitP90Seconds");
        return (copy.ToJsonString(), p50, p90);
    }

    static void SameFigures(JsonObject expected, JsonObject actual)
    {
        var (expectedRest, expectedP50, expectedP90) = Split(expected);
        var (actualRest, actualP50, actualP90) = Split(actual);
        Assert.Equal(expectedRest, actualRest);
        Assert.InRange(actualP50!.Value, expectedP50!.Value - 1, expectedP50.Value + 1);
        Assert.InRange(actualP90!.Value, expectedP90!.Value - 1, expectedP90.Value + 1);
    }

    [Fact]
    public async Task AReportOverSummedHoursGivesWhatReadingEveryCallGives()
    {
        var dental = await app.NewBusinessAsync(live: false);
        var garage = await app.NewBusinessAsync(live: false);
        var anna = await OperatorIdAsync("Анна Rollup");
        var boris = await OperatorIdAsync("Борис Rollup");
        var now = app.Clock.GetUtcNow();
        var thisHour = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);
        // Two days back, 20 minutes into an hour: the report starts 10 minutes in, so its first part-hour is read
        // from the calls, the whole hours after it from the rollup, and this hour (still open) from the calls again.
        var start = thisHour.AddDays(-2).AddMinutes(20);
        const string again = "+79160000101", once = "+79160000102";
        await FixedCall.InsertAsync(app, dental.Id, start,
            new FixedCall(0, "Answered", Wait: 12.4, Talk: 100, WrapUp: 30, Caller: again, Operator: anna),
            new FixedCall(2400, "Answered", Wait: 40.2, Talk: 60, WrapUp: -5, Operator: anna),
            new FixedCall(2500, "Abandoned", EndedAfter: 3),
            new FixedCall(6000, "Abandoned", EndedAfter: 12),
            new FixedCall(7200, "Overflowed", EndedAfter: 65),
            new FixedCall(7300, "NotLive", EndedAfter: 30),
            new FixedCall(86_400, "Abandoned", EndedAfter: 30, Caller: again),
            new FixedCall(86_500, "Answered", Wait: 5.5, Talk: 30, WrapUp: 20, Caller: once, Operator: boris));
        await FixedCall.InsertAsync(app, garage.Id, start,
            new FixedCall(60, "Answered", Wait: 25.7, Talk: 200, WrapUp: 10, Caller: once, Operator: boris),
            new FixedCall(104_400, "Answered", Wait: 18, Talk: 45, WrapUp: 12, Operator: anna));
        await FixedCall.InsertAsync(app, garage.Id, now.AddSeconds(-1), new FixedCall(0, "Abandoned", EndedAfter: 0.5));
        // Anna's spans cross hours; Boris has been available for two hours and still is (his presence moves, so the
        // trigger closes his open span and opens this one).
        await app.ScalarAsync<object>("""
            INSERT INTO operator_state_intervals (operator_id, state, started_at, ended_at) VALUES
                ($1, 'Available', $2, $3), ($1, 'Busy', $3, $4), ($1, 'WrapUp', $4, $5)
            """, anna, start.AddMinutes(-15).UtcDateTime, start.AddMinutes(70).UtcDateTime,
            start.AddMinutes(80).UtcDateTime, start.AddMinutes(81).UtcDateTime);
        await app.ScalarAsync<object>("UPDATE operator_presence SET state = 'Available', updated_at = $2 WHERE operator_id = $1",
            boris, now.AddHours(-2).UtcDateTime);

        var admin = await app.AdminAsync();
        var from = start.AddMinutes(-10);
        var readFromCalls = await ReportAsync(admin, from);
        Assert.Equal(10, readFromCalls["offered"]!.GetValue<long>());

        Assert.True(await RefreshAsync());
        Assert.True(await app.ScalarAsync<long>("SELECT count(*) FROM call_metrics_hourly WHERE hour >= $1", start.UtcDateTime) > 0);
        SameFigures(readFromCalls, await ReportAsync(admin, from));

        // Proof that the summed hours are what is read: with the calls of those hours emptied (kept, as the next calls of
        // earlier callers) and their summaries and spans gone, nothing changes.
        foreach (var delete in new[]
        {
            "DELETE FROM call_summaries WHERE call_id IN (SELECT id FROM calls WHERE received_at >= $1 AND received_at < $2)",
            """
            UPDATE calls SET outcome = 'NotLive', answered_at = NULL, ended_at = received_at, operator_id = NULL
            WHERE received_at >= $1 AND received_at < $2
            """,
            "DELETE FROM operator_state_intervals WHERE started_at >= $1 AND ended_at < $2",
        })
            await app.ScalarAsync<object>(delete, start.AddMinutes(40).UtcDateTime, thisHour.UtcDateTime);
        SameFigures(readFromCalls, await ReportAsync(admin, from));
    }
}

/// <summary>How the rollup follows calls that change after their hour closed; a database of its own, so the runs
/// here start from an empty rollup whatever ran before.</summary>
public sealed class MetricsRollupRefreshTests(CallsApp app) : IClassFixture<CallsApp>
{
    Task<bool> RefreshAsync() => Rollup.RefreshAsync(app);

    static Task<JsonObject> ReportAsync(HttpClient admin, DateTimeOffset from) => Rollup.ReportAsync(admin, from);

    [Fact]
    public async Task EachRunSumsTheLastDayAgainAndTheRepeatWindowHourly()
    {
        var business = await app.NewBusinessAsync(live: false);
        var now = app.Clock.GetUtcNow();
        var thisHour = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);
        var yesterday = thisHour.AddHours(-5);
        var lastWeek = thisHour.AddDays(-5);
        await FixedCall.InsertAsync(app, business.Id, yesterday, new FixedCall(60, "Abandoned", EndedAfter: 30));
        await FixedCall.InsertAsync(app, business.Id, lastWeek, new FixedCall(60, "Abandoned", EndedAfter: 30));
        Assert.True(await RefreshAsync());
        var admin = await app.AdminAsync();
        var report = await ReportAsync(admin, lastWeek);
        Assert.Equal(2, report["abandoned"]!.GetValue<long>());

        // Reconciliation settles both calls late: a caller was answered after all.
        await app.ScalarAsync<object>("""
            UPDATE calls SET outcome = 'Answered', answered_at = received_at + interval '10 seconds', operator_id = NULL
            WHERE business_id = $1
            """, business.Id);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await RefreshAsync());
        report = await ReportAsync(admin, lastWeek);
        // The last day is summed on every run; five days back waits for the hourly pass.
        Assert.Equal(1, report["abandoned"]!.GetValue<long>());
        Assert.Equal(1, report["answered"]!.GetValue<long>());

        app.Clock.Advance(TimeSpan.FromHours(1));
        Assert.True(await RefreshAsync());
        admin = await app.AdminAsync(); // the earlier sign-in has expired on the test clock
        report = await ReportAsync(admin, lastWeek);
        Assert.Equal(0, report["abandoned"]!.GetValue<long>());
        Assert.Equal(2, report["answered"]!.GetValue<long>());
        // Running again changes nothing.
        Assert.True(await RefreshAsync());
        Assert.Equal(report.ToJsonString(), (await ReportAsync(admin, lastWeek)).ToJsonString());
    }
}

static class Rollup
{
    public static async Task<bool> RefreshAsync(CallsApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<MetricsRollup>().RefreshAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<JsonObject> ReportAsync(HttpClient admin, DateTimeOffset from) =>
        (await admin.GetFromJsonAsync<JsonObject>($"/api/admin/metrics?from={Uri.EscapeDataString(from.ToString("O"))}",
            TestContext.Current.CancellationToken))!;
}
