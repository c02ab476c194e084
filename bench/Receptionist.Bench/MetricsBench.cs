using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receptionist.Features.Metrics;

/// <summary>
/// The wallboard's and the 30-day report's queries over a generated history: <c>calls</c> calls spread over 90 days
/// across 200 businesses, answered by 100 operators (85 % answered, 8 % abandoned, 4 % overflowed, 3 % not live), with
/// summaries, warm transfers of 3 % of answered calls, and operator state spans (available / offered / busy / wrap-up
/// cycles through a 9-to-17 working day; 90 % of offers answered, the rest missed or declined).
/// </summary>
static class MetricsBench
{

    public static async Task RunAsync(HttpClient http, IServiceProvider services, string connectionString, Guid templateBusiness, int calls)
    {
        await using var data = NpgsqlDataSource.Create(connectionString);
        var generate = Stopwatch.StartNew();
        await ExecuteAsync(data, $"""
            INSERT INTO users
            SELECT (jsonb_populate_record(NULL::users, to_jsonb(u) || jsonb_build_object(
                'id', gen_random_uuid(), 'email', 'op' || g || '@bench.example', 'normalized_email', 'OP' || g || '@BENCH.EXAMPLE',
                'user_name', 'op' || g || '@bench.example', 'normalized_user_name', 'OP' || g || '@BENCH.EXAMPLE',
                'display_name', 'Оператор ' || g))).*
            FROM users u, generate_series(1, 100) g WHERE u.email = 'bench@example.com';
            INSERT INTO businesses
            SELECT (jsonb_populate_record(NULL::businesses, to_jsonb(b) || jsonb_build_object(
                'id', gen_random_uuid(), 'name', 'Компания ' || g, 'protected_number', '+7495' || (2000000 + g)))).*
            FROM businesses b, generate_series(1, 199) g WHERE b.id = '{templateBusiness}';
            """);
        await ExecuteAsync(data, $"""
            WITH b AS (SELECT array_agg(id) AS ids FROM businesses),
                 o AS (SELECT array_agg(id) AS ids FROM users WHERE email LIKE 'op%@bench.example'),
                 g AS (SELECT g, random() AS kind, random() AS w, random() AS t,
                              now() - random() * interval '90 days' AS received FROM generate_series(1, {calls}) g)
            INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, claimed_at,
                               answered_at, ended_at, operator_id, billable)
            SELECT gen_random_uuid(), b.ids[1 + g % array_length(b.ids, 1)], 'CAbench' || g, '+7916' || (1000000 + (g::bigint * 7919) % 3000000),
                   'Ended', CASE WHEN kind < 0.85 THEN 'Answered' WHEN kind < 0.93 THEN 'Abandoned' WHEN kind < 0.97 THEN 'Overflowed' ELSE 'NotLive' END,
                   received,
                   CASE WHEN kind < 0.85 THEN received + w * interval '45 seconds' END,
                   CASE WHEN kind < 0.85 THEN received + w * interval '45 seconds' END,
                   CASE WHEN kind < 0.85 THEN received + w * interval '45 seconds' + (30 + t * 270) * interval '1 second'
                        WHEN kind < 0.93 THEN received + w * interval '60 seconds'
                        WHEN kind < 0.97 THEN received + interval '65 seconds' ELSE received END,
                   CASE WHEN kind < 0.85 THEN o.ids[1 + g % 100] END,
                   kind < 0.85 AND w * 45 <= 30
            FROM g, b, o
            ORDER BY g.received; -- rows land in the order calls arrive, as they do in production
            """);
        await ExecuteAsync(data, """
            INSERT INTO call_summaries (call_id, business_id, operator_id, outcome, outcome_label, fields, created_at)
            SELECT id, business_id, operator_id, 'message_taken', 'Сообщение принято', '{}', ended_at + random() * interval '60 seconds'
            FROM calls WHERE outcome = 'Answered';
            INSERT INTO call_transfers (call_id, mode, state, operator_id, started_at, ended_at)
            SELECT id, 'Warm', CASE WHEN random() < 0.5 THEN 'Connected' ELSE 'Declined' END, operator_id,
                   answered_at + interval '10 seconds', answered_at + interval '25 seconds'
            FROM calls WHERE outcome = 'Answered' AND random() < 0.03;
            """);
        // The trigger writes spans as presence changes; history is written directly, one cycle per 270 s of a working day.
        await ExecuteAsync(data, """
            ALTER TABLE operator_state_intervals DISABLE TRIGGER ALL;
            INSERT INTO operator_state_intervals (operator_id, state, started_at, ended_at, offer_outcome)
            SELECT o.id, s.state, c + s.offset_s * interval '1 second', c + (s.offset_s + s.length_s) * interval '1 second',
                   CASE WHEN s.state <> 'Offered' THEN NULL WHEN random() < 0.9 THEN 'Answered' WHEN random() < 0.5 THEN 'Missed' ELSE 'Declined' END
            FROM (SELECT id FROM users WHERE email LIKE 'op%@bench.example') o,
                 generate_series(date_trunc('day', now() - interval '90 days') + interval '6 hours',
                                 now() - interval '1 day', interval '1 day') d,
                 generate_series(d, d + interval '8 hours', interval '270 seconds') c,
                 (VALUES ('Available', 0, 50), ('Offered', 50, 10), ('Busy', 60, 180), ('WrapUp', 240, 30)) s(state, offset_s, length_s);
            ALTER TABLE operator_state_intervals ENABLE TRIGGER ALL;
            ANALYZE;
            """);
        Console.WriteLine($"generated {calls} calls, {await ScalarAsync(data, "SELECT count(*) FROM operator_state_intervals")} state spans ({await ScalarAsync(data, "SELECT count(*) FROM operator_state_intervals WHERE state = 'Offered'")} offers), {await ScalarAsync(data, "SELECT count(*) FROM call_transfers")} transfers in {generate.Elapsed.TotalSeconds:0} s");

        var login = await (await http.PostAsJsonAsync("/api/auth/login", new { email = BenchApp.AdminEmail, password = BenchApp.AdminPassword }))
            .Content.ReadFromJsonAsync<JsonElement>();
        using var admin = new HttpClient { BaseAddress = http.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("accessToken").GetString());
        // Some calls waiting, as on a busy wallboard.
        await ExecuteAsync(data, "UPDATE calls SET status = 'Waiting', outcome = NULL, ended_at = NULL, received_at = now() WHERE id IN (SELECT id FROM calls ORDER BY received_at DESC LIMIT 20)");

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
        await ExecuteAsync(data, "UPDATE metrics_rollup_state SET window_refreshed_at = window_refreshed_at - interval '1 hour'");
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
        var owner = await ScalarAsync(data, "SELECT b.id FROM businesses b ORDER BY b.name LIMIT 1");
        Console.WriteLine($"(one business holds {await ScalarAsync(data, $"SELECT count(*) FROM calls WHERE business_id = '{owner}'")} calls)");
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

    static async Task ExecuteAsync(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    static async Task<object?> ScalarAsync(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
