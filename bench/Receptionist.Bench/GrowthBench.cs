using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receptionist.Features.Queue;

/// <summary>
/// Whether the call path, the owner's call log and the console keep their cost as the call table grows. For each size
/// the table is generated afresh (<see cref="CallHistory"/>: 200 businesses, 100 operators, 90 days; 1,500 regular
/// callers per business, so a caller's history grows with the table too) and each operation is timed against the
/// benchmark's own live business. At the largest size every statement the operations run is shown with
/// <c>EXPLAIN (ANALYZE, BUFFERS)</c> (PostgreSQL's auto_explain, on the statements as the service sends them), with
/// sequential scans and rows removed by a filter flagged.
/// </summary>
static partial class GrowthBench
{
    const int Runs = 200, WarmUp = 20;
    const string Password = "bench-password-1";

    sealed record Operation(string What, Func<Task> Once, Func<Task>? Before = null);

    public static async Task RunAsync(HttpClient owner, IServiceProvider services, string connectionString, string serverLog,
        Guid businessId, string line, string authToken, string publicBaseUrl, Func<string, string, Task<string>> token, int[] sizes)
    {
        await using var data = NpgsqlDataSource.Create(connectionString);
        await CallHistory.AddPeopleAsync(data, businessId);
        HttpClient SignedIn(string bearer) => new() { BaseAddress = owner.BaseAddress, DefaultRequestHeaders = { Authorization = new("Bearer", bearer) } };
        // op1 claims, op2 sits on a call (the console's reload), op3 is between calls; all three have a generated history.
        var claimer = SignedIn(await token("op1@bench.example", Password));
        var onCall = SignedIn(await token("op2@bench.example", Password));
        var idle = SignedIn(await token("op3@bench.example", Password));
        var claimerId = (Guid)(await CallHistory.ScalarAsync(data, "SELECT id FROM users WHERE email = 'op1@bench.example'"))!;
        foreach (var client in new[] { claimer, onCall })
            (await client.PutAsJsonAsync("/api/console/presence", new { state = "available" })).EnsureSuccessStatusCode();
        var webhook = new HttpClient { BaseAddress = owner.BaseAddress };
        var log = $"/api/businesses/{businessId}/calls";

        var figures = new Dictionary<int, List<(string What, double P50, double P99)>>();
        foreach (var size in sizes)
        {
            var generated = Stopwatch.StartNew();
            // Nobody is on a call when the table is generated afresh.
            await CallHistory.ExecuteAsync(data, "TRUNCATE calls CASCADE; UPDATE operator_presence SET state = 'Available'");
            await CallHistory.AddCallsAsync(data, size, callerNumbers: CallHistory.Businesses * 1500);
            var ownCalls = (long)(await CallHistory.ScalarAsync(data, $"SELECT count(*) FROM calls WHERE business_id = '{businessId}'"))!;
            Console.WriteLine($"\n{size:N0} calls generated in {generated.Elapsed.TotalSeconds:0} s; the measured business holds {ownCalls:N0}");

            // Its regular callers call again (the webhook and the claim look their history up); the most frequent one is
            // looked up and filtered for.
            var callers = await ListAsync(data, $"SELECT caller_number FROM calls WHERE business_id = '{businessId}' GROUP BY 1 ORDER BY count(*) DESC LIMIT 500");
            var regular = callers[0];
            var nextCaller = 0;
            async Task IncomingCall()
            {
                using var request = SignedWebhook.Request(authToken, publicBaseUrl, "/telephony/twilio/voice", new()
                {
                    ["CallSid"] = $"CA{Guid.NewGuid():N}", ["AccountSid"] = "ACbench", ["From"] = callers[nextCaller++ % callers.Count],
                    ["To"] = line, ["CallStatus"] = "ringing", ["Direction"] = "inbound",
                });
                using var response = await webhook.SendAsync(request);
                response.EnsureSuccessStatusCode();
            }
            // The queue holds one caller, as a live one holds a few (not the hundreds the webhook's runs would leave
            // waiting): each claim, and each webhook, starts with the earlier callers gone. Not timed.
            Task EmptyQueue() => CallHistory.ExecuteAsync(data, $"""
                UPDATE calls SET status = 'Ended', outcome = 'Abandoned', ended_at = now() WHERE status = 'Waiting';
                UPDATE calls SET status = 'Ended', outcome = 'Answered', ended_at = now() WHERE status = 'Claimed' AND operator_id = '{claimerId}';
                UPDATE operator_presence SET state = 'Available' WHERE operator_id = '{claimerId}';
                """);
            async Task ReadyToClaim()
            {
                await EmptyQueue();
                await IncomingCall();
            }
            async Task Get(HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
            {
                using var response = await client.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != expected)
                    throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}");
            }

            // op2 stays on a call.
            await ReadyToClaim();
            (await onCall.PostAsync("/api/console/calls/next", null)).EnsureSuccessStatusCode();
            var operations = new List<Operation> { new("incoming-call webhook (signed, HTTP)", IncomingCall, EmptyQueue) };

            operations.Add(new("claim over HTTP (operator, POST /api/console/calls/next)",
                async () => (await claimer.PostAsync("/api/console/calls/next", null)).EnsureSuccessStatusCode(), ReadyToClaim));
            operations.Add(new("claim statement (CallQueue.ClaimNextAsync)", async () =>
            {
                await using var scope = services.CreateAsyncScope();
                _ = await scope.ServiceProvider.GetRequiredService<CallQueue>().ClaimNextAsync(claimerId, CancellationToken.None)
                    ?? throw new InvalidOperationException("The queue ran dry.");
            }, ReadyToClaim));

            var first = await owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=50");
            var deepPage = Math.Max(2, first.GetProperty("total").GetInt32() / 50 / 2);
            operations.Add(new("call log, first page (50)", () => Get(owner, $"{log}?pageSize=50")));
            operations.Add(new($"call log, page {deepPage} (OFFSET)", () => Get(owner, $"{log}?pageSize=50&page={deepPage}")));
            if (first.TryGetProperty("next", out _))
            {
                // The same page reached by following the cursors from the first page.
                var page = first;
                for (var i = 1; i < deepPage; i++)
                    page = await owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=50&before={Uri.EscapeDataString(page.GetProperty("next").GetString()!)}");
                var cursor = Uri.EscapeDataString(page.GetProperty("next").GetString() ?? "");
                operations.Add(new($"call log, page {deepPage + 1} (cursor)", () => Get(owner, $"{log}?pageSize=50&before={cursor}")));
            }
            operations.Add(new("call log, outcome=abandoned", () => Get(owner, $"{log}?pageSize=50&outcome=abandoned")));
            var typed = Uri.EscapeDataString(regular[2..]);
            operations.Add(new("call log, caller (a regular's number)", () => Get(owner, $"{log}?pageSize=50&caller={typed}")));
            var week = $"from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-7).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}";
            operations.Add(new("call log, last 7 days", () => Get(owner, $"{log}?pageSize=50&{week}")));

            var regularsCall = (await CallHistory.ScalarAsync(data,
                $"SELECT id FROM calls WHERE business_id = '{businessId}' AND caller_number = '{regular}' ORDER BY received_at DESC LIMIT 1"))!;
            operations.Add(new("caller's history (the console's view of a claimed call)", async () =>
            {
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<Receptionist.Data.AppDbContext>();
                var call = await db.Set<Receptionist.Features.Calls.Call>().FindAsync((Guid)regularsCall)
                    ?? throw new InvalidOperationException("The regular's call is gone.");
                var built = await scope.ServiceProvider.GetRequiredService<ClaimedCallBuilder>().BuildAsync(
                    new ClaimedCallRow(call.Id, call.BusinessId, call.ProviderCallId, call.CallerNumber, call.ReceivedAt), claimerId, CancellationToken.None);
                if (built.EarlierCalls.Count == 0)
                    throw new InvalidOperationException("The regular caller has no history.");
            }));
            operations.Add(new("operator's current call, on a call (console reload)", () => Get(onCall, "/api/console/calls/current")));
            operations.Add(new("operator's current call, between calls", () => Get(idle, "/api/console/calls/current", HttpStatusCode.NoContent)));

            var measured = new List<(string, double, double)>();
            foreach (var operation in operations)
            {
                var (p50, p99) = await TimeAsync(operation);
                measured.Add((operation.What, p50, p99));
                Console.WriteLine($"{operation.What,-62} p50 {p50,8:0.00} ms   p99 {p99,8:0.00} ms");
            }
            figures[size] = measured;
            if (size == sizes.Max())
                await ExplainAsync(data, services.GetRequiredService<NpgsqlDataSource>(), serverLog, operations);
        }
        PrintTable(sizes, figures);
    }

    static async Task<(double P50, double P99)> TimeAsync(Operation operation)
    {
        var samples = new List<double>();
        for (var i = 0; i < WarmUp + Runs; i++)
        {
            if (operation.Before is { } before)
                await before();
            var started = Stopwatch.GetTimestamp();
            await operation.Once();
            if (i >= WarmUp)
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        var ms = samples.Order().ToArray();
        double P(double q) => ms[(int)Math.Min(ms.Length - 1, Math.Round(q * (ms.Length - 1)))];
        return (P(0.5), P(0.99));
    }

    /// <summary>
    /// Runs each operation once with auto_explain logging every statement's plan (actual rows, buffers) to the
    /// server's log, and prints the plans of the statements that read the calls, flagging what grows with the table.
    /// </summary>
    static async Task ExplainAsync(NpgsqlDataSource data, NpgsqlDataSource service, string serverLog, List<Operation> operations)
    {
        await CallHistory.ExecuteAsync(data, """
            ALTER DATABASE bench SET session_preload_libraries = 'auto_explain';
            ALTER DATABASE bench SET auto_explain.log_min_duration = 0;
            ALTER DATABASE bench SET auto_explain.log_analyze = on;
            ALTER DATABASE bench SET auto_explain.log_buffers = on;
            """);
        // Pooled connections keep the settings they opened with: the service's new ones load auto_explain.
        service.Clear();
        Console.WriteLine("\nEXPLAIN (ANALYZE, BUFFERS) of each statement on the calls, at the largest size:");
        var flagged = 0;
        try
        {
            foreach (var operation in operations)
            {
                if (operation.Before is { } before)
                    await before();
                var from = new FileInfo(serverLog).Length;
                await operation.Once();
                await Task.Delay(200); // the server writes its log asynchronously
                Console.WriteLine($"\n=== {operation.What}");
                foreach (var plan in PlansSince(serverLog, from).Where(ReadsCalls))
                {
                    var flags = PlanFlags(plan);
                    flagged += flags.Count;
                    Console.WriteLine(flags.Count == 0 ? "--- index access only" : $"--- FLAGGED: {string.Join("; ", flags)}");
                    Console.WriteLine(plan);
                }
            }
        }
        finally
        {
            await CallHistory.ExecuteAsync(data, "ALTER DATABASE bench RESET ALL");
            service.Clear();
        }
        Console.WriteLine($"\n{flagged} flag(s) in the plans above.");
    }

    /// <summary>The auto_explain entries appended to the log since <paramref name="offset"/>.</summary>
    static List<string> PlansSince(string serverLog, long offset)
    {
        using var stream = new FileStream(serverLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        var text = new StreamReader(stream, Encoding.UTF8).ReadToEnd();
        return [.. PlanStart().Split(text).Skip(1).Select(entry => string.Join('\n',
            entry.Split('\n').TakeWhile(l => l.Length == 0 || l[0] == '\t' || l.StartsWith("Query Text", StringComparison.Ordinal))).TrimEnd())];
    }

    static bool ReadsCalls(string plan) => CallsTable().IsMatch(plan);

    static List<string> PlanFlags(string plan)
    {
        var flags = new List<string>();
        foreach (Match seq in SeqScan().Matches(plan))
            flags.Add($"Seq Scan on {seq.Groups[1].Value}");
        foreach (Match removed in RowsRemoved().Matches(plan))
            if (removed.Groups[2].Value != "0")
                flags.Add($"{removed.Groups[1].Value}: {removed.Groups[2].Value}");
        return flags;
    }

    static void PrintTable(int[] sizes, Dictionary<int, List<(string What, double P50, double P99)>> figures)
    {
        var baseline = figures[sizes[0]];
        Console.WriteLine($"\n| what | {string.Join(" | ", sizes.Select((s, i) => $"{s:N0} calls p50 / p99" + (i == 0 ? "" : " (ratio)")))} |");
        Console.WriteLine($"| --- |{string.Concat(sizes.Select(_ => " --- |"))}");
        // A row's label may name its page, which differs by size: rows are matched by position.
        for (var row = 0; row < baseline.Count; row++)
        {
            var (what, p50, p99) = baseline[row];
            var cells = sizes.Select((size, i) =>
            {
                var (_, q50, q99) = figures[size][row];
                return $"{q50:0.0} / {q99:0.0} ms" + (i == 0 ? "" : $" ({q50 / p50:0.00} / {q99 / p99:0.00})");
            });
            Console.WriteLine($"| {what} | {string.Join(" | ", cells)} |");
        }
    }

    static async Task<List<string>> ListAsync(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
            values.Add(reader.GetString(0));
        return values;
    }

    [GeneratedRegex(@"^.*LOG:  duration: [0-9.]+ ms  plan:\n", RegexOptions.Multiline)]
    private static partial Regex PlanStart();

    [GeneratedRegex(@"\b(calls|call_summaries)\b")]
    private static partial Regex CallsTable();

    [GeneratedRegex(@"Seq Scan on (\w+)")]
    private static partial Regex SeqScan();

    [GeneratedRegex(@"(Rows Removed by (?:Filter|Index Recheck|Join Filter)): (\d+)")]
    private static partial Regex RowsRemoved();
}
