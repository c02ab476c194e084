using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receptionist.Features.Metrics;

/// <summary>
/// The wallboard's and the 30-day report's queries over a generated history (<see cref="CallHistory"/>): <c>calls</c>
/// calls with summaries, warm transfers, and the operators' state spans with their offers.
/// </summary>
static class MetricsBench
{

    public static async Task RunAsync(HttpClient http, IServiceProvider services, string connectionString, Guid templateBusiness, int calls)
    {
        await using var data = NpgsqlDataSource.Create(connectionString);
        var generate = Stopwatch.StartNew();
        await CallHistory.AddPeopleAsync(data, templateBusiness);
        // 3,000,000 caller numbers: most callers call once.
        await CallHistory.AddCallsAsync(data, calls, callerNumbers: 3_000_000);
        await CallHistory.AddStateSpansAsync(data);
        Console.WriteLine($"generated {calls} calls, {await CallHistory.ScalarAsync(data, "SELECT count(*) FROM operator_state_intervals")} state spans ({await CallHistory.ScalarAsync(data, "SELECT count(*) FROM operator_state_intervals WHERE state = 'Offered'")} offers), {await CallHistory.ScalarAsync(data, "SELECT count(*) FROM call_transfers")} transfers in {generate.Elapsed.TotalSeconds:0} s");

        var login = await (await http.PostAsJsonAsync("/api/auth/login", new { email = BenchApp.AdminEmail, password = BenchApp.AdminPassword }))
            .Content.ReadFromJsonAsync<JsonElement>();
        using var admin = new HttpClient { BaseAddress = http.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("accessToken").GetString());
        // Some calls waiting, as on a busy wallboard.
        await CallHistory.ExecuteAsync(data, "UPDATE calls SET status = 'Waiting', outcome = NULL, ended_at = NULL, received_at = now() WHERE id IN (SELECT id FROM calls ORDER BY received_at DESC LIMIT 20)");

        await MeasureAsync(admin, "wallboard (GET /api/admin/wallboard)", "/api/admin/wallboard", 5, 100);
        var from = DateTimeOffset.UtcNow.AddDays(-30).ToString("O");
        var report = $"/api/admin/metrics?from={Uri.EscapeDataString(from)}";
        // The rollup (off in this service, run here instead) sums the history as a first run on an existing database
        // would: all of it; then a run as every minute, then the hourly one.
        await MeasureAsync(admin, "30-day report, reading every call (no rollup yet)", report, 1, 5);
        foreach (var run in new[] { "first rollup run (the whole history)", "a run as every minute (the last day)" })
        {
            var started = Stopwatch.StartNew();
            await using var scope = services.CreateAsyncScope();
            if (!await scope.ServiceProvider.GetRequiredService<MetricsRollup>().RefreshAsync(CancellationToken.None))
                throw new InvalidOperationException("Another run of the rollup held its lock.");
            Console.WriteLine($"{run,-60} {started.Elapsed.TotalMilliseconds,8:0} ms");
        }
        await CallHistory.ExecuteAsync(data, "UPDATE metrics_rollup_state SET window_refreshed_at = window_refreshed_at - interval '1 hour'");
        var hourly = Stopwatch.StartNew();
        await using (var scope = services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<MetricsRollup>().RefreshAsync(CancellationToken.None);
        Console.WriteLine($"{"the hourly run (the last 8 days)",-60} {hourly.Elapsed.TotalMilliseconds,8:0} ms");
        if (Environment.GetEnvironmentVariable("BENCH_KEEP") is { Length: > 0 } keep)
        {
            // For looking at query plans (the rollup summed): the data stays until this file is deleted.
            await File.WriteAllTextAsync(keep, connectionString);
            while (File.Exists(keep))
                await Task.Delay(1000);
        }
        await MeasureAsync(admin, "30-day report (GET /api/admin/metrics)", report, 2, 20);
        // What the report holds besides the speed: the offers and hold the generated history has.
        var figures = await admin.GetFromJsonAsync<JsonElement>(report);
        var operators = figures.GetProperty("byOperator").EnumerateArray().ToList();
        var offers = operators.Sum(o => o.GetProperty("offers").GetInt64());
        var answered = operators.Sum(o => o.GetProperty("offersAnswered").GetInt64());
        Console.WriteLine($"(the 30-day report: {offers} offers, {answered} answered; average hold {figures.GetProperty("averageHoldSeconds")} s of an AHT of {figures.GetProperty("averageHandleTimeSeconds")} s)");
        var owner = await CallHistory.ScalarAsync(data, "SELECT b.id FROM businesses b ORDER BY b.name LIMIT 1");
        Console.WriteLine($"(one business holds {await CallHistory.ScalarAsync(data, $"SELECT count(*) FROM calls WHERE business_id = '{owner}'")} calls)");
    }

    static async Task MeasureAsync(HttpClient client, string what, string path, int warmUp, int runs)
    {
        for (var i = 0; i < warmUp; i++)
            (await client.GetAsync(path)).EnsureSuccessStatusCode();
        var samples = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            response.EnsureSuccessStatusCode();
        }
        var ms = samples.Order().ToArray();
        double P(double q) => ms[(int)Math.Min(ms.Length - 1, Math.Round(q * (ms.Length - 1)))];
        Console.WriteLine($"{what,-60} n={ms.Length,4}  p50={P(0.5),8:0.0} ms  p99={P(0.99),8:0.0} ms");
    }
}
