using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Npgsql;

/// <summary>
/// Push routing: the time from the incoming-call webhook to the offer reaching an available operator, with 100 operators
/// available and calls arriving at a fixed rate (open loop). A call offered by its own webhook reaches the operator when
/// the webhook answers with the Dial to their console; a call that had to queue reaches one when the router redirects
/// it (the far end records when). Each offer then ends as Twilio would report a caller hanging up while it rang, which
/// frees the operator, so the pool stays near 100.
/// </summary>
static class RoutingBench
{
    /// <summary>The first redirect of each call the far end received, by call sid: when (a Stopwatch timestamp) and the
    /// instructions it asked for. A queued call's task awaits its own (no polling: thousands of queued calls polling
    /// would take the machine from the service they measure).</summary>
    static readonly ConcurrentDictionary<string, TaskCompletionSource<(long At, string Url)>> redirects = new();

    static TaskCompletionSource<(long At, string Url)> RedirectOf(string sid) =>
        redirects.GetOrAdd(sid, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    static readonly TimeSpan Ringback = TimeSpan.FromSeconds(5);

    public static void RedirectArrived(string sid, long at, string url) => RedirectOf(sid).TrySetResult((at, url));

    public static async Task RunAsync(HttpClient http, string connectionString, string line, string authToken, string publicBaseUrl,
        int calls, int perSecond, Func<string, string, Task<string>> token)
    {
        const int Operators = 100;
        var admin = new HttpClient { BaseAddress = http.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", await token(BenchApp.AdminEmail, BenchApp.AdminPassword));
        for (var i = 0; i < Operators; i++)
            (await admin.PostAsJsonAsync("/api/admin/staff", new
            {
                email = $"router-{i}@bench.example", password = "operator-password-1", displayName = $"Оператор {i}", role = "Operator",
            })).EnsureSuccessStatusCode();
        await using (var data = NpgsqlDataSource.Create(connectionString))
        await using (var available = data.CreateCommand("""
            UPDATE operator_presence SET state = 'Available', updated_at = now() - interval '1 hour'
            WHERE operator_id IN (SELECT id FROM users WHERE email LIKE 'router-%@bench.example')
            """))
            await available.ExecuteNonQueryAsync();

        var webhook = new HttpClient { BaseAddress = http.BaseAddress };
        async Task<XElement> Signed(string pathAndQuery, Dictionary<string, string> form)
        {
            using var request = SignedWebhook.Request(authToken, publicBaseUrl, pathAndQuery, form);
            using var response = await webhook.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        }
        Dictionary<string, string> Form(string sid, int n, params (string, string)[] fields)
        {
            var form = new Dictionary<string, string>
            {
                ["CallSid"] = sid, ["AccountSid"] = "ACbench", ["From"] = $"+7916{4_000_000 + n}", ["To"] = line,
                ["CallStatus"] = "ringing", ["Direction"] = "inbound",
            };
            foreach (var (key, value) in fields)
                form[key] = value;
            return form;
        }

        // One call: the time until the offer reached an operator (and whether it queued first), then the caller hangs
        // up while it rings.
        async Task<(TimeSpan Offered, bool Queued)> OfferOne(int n)
        {
            var sid = $"CA{Guid.NewGuid():N}";
            var started = Stopwatch.GetTimestamp();
            var twiml = await Signed("/telephony/twilio/voice", Form(sid, n));
            TimeSpan offered;
            var queued = twiml.Element("Dial") is null;
            if (queued)
            {
                // While it waits, the caller's ringback (5 s) ends and Twilio asks the wait URL again, as a queue's
                // caller does: the proof the caller is still there, without which routing leaves the call to
                // reconciliation after Calls:CallerSilenceSeconds.
                var redirect = RedirectOf(sid).Task;
                var wait = new Uri(twiml.Element("Enqueue")!.Attribute("waitUrl")!.Value).PathAndQuery;
                var giveUp = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
                while (await Task.WhenAny(redirect, Task.Delay(Ringback)) != redirect && Stopwatch.GetTimestamp() < giveUp)
                    await Signed(wait, Form(sid, n, ("CallStatus", "in-progress")));
                if (!redirect.IsCompleted)
                {
                    await using var data = NpgsqlDataSource.Create(connectionString);
                    await using var states = data.CreateCommand(
                        "SELECT string_agg(state || ':' || n || ':' || l || ':' || o, ', ') FROM (SELECT state, languages::text l, count(*) n, coalesce(max(offerable_at)::text, '-') o FROM operator_presence GROUP BY 1, 2) s");
                    await using var call = data.CreateCommand($"SELECT c.status || ' ' || coalesce(c.operator_id::text, '-') || ' ' || b.language || ' seen ' || (now() - c.last_seen_at)::text || ' offered ' || coalesce((now() - c.claimed_at)::text, '-') || ' bridged ' || coalesce((now() - c.bridged_at)::text, '-') FROM calls c JOIN businesses b ON b.id = c.business_id WHERE provider_call_id = '{sid}'");
                    throw new TimeoutException($"Call {sid} was never offered (operators {await states.ExecuteScalarAsync()}; call {await call.ExecuteScalarAsync()}).");
                }
                var (at, url) = await redirect;
                offered = Stopwatch.GetElapsedTime(started, at);
                twiml = await Signed(new Uri(url).PathAndQuery, Form(sid, n, ("CallStatus", "in-progress")));
            }
            else
                offered = Stopwatch.GetElapsedTime(started);
            var action = new Uri(twiml.Element("Dial")!.Attribute("action")!.Value).PathAndQuery;
            await Signed(action, Form(sid, n, ("CallStatus", "completed"), ("DialCallStatus", "canceled")));
            return (offered, queued);
        }

        for (var i = 0; i < 100; i++)
            await OfferOne(i);
        var started = Stopwatch.GetTimestamp();
        var pending = new List<Task<(TimeSpan Offered, bool Queued)>>();
        for (var i = 0; i < calls; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / perSecond) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
                await Task.Delay(due);
            var n = i;
            pending.Add(Task.Run(() => OfferOne(n)));
        }
        var results = await Task.WhenAll(pending);
        var took = Stopwatch.GetElapsedTime(started);
        void Report(string what, IEnumerable<(TimeSpan Offered, bool Queued)> subset)
        {
            var samples = subset.Select(r => r.Offered.TotalMilliseconds).Order().ToList();
            if (samples.Count == 0)
            {
                Console.WriteLine($"{what,-60} none");
                return;
            }
            double Percentile(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p * samples.Count) - 1)];
            Console.WriteLine($"{what,-60} p50 {Percentile(0.50),7:0.0} ms   p99 {Percentile(0.99),7:0.0} ms   max {samples[^1],7:0.0} ms   ({samples.Count} calls)");
        }
        Report($"webhook → offer, {perSecond} calls/s, {Operators} operators, all", results);
        Report("  dialled by the incoming webhook itself", results.Where(r => !r.Queued));
        Report("  queued first, offered by the router", results.Where(r => r.Queued));
        // Where a queued call's time went: until the router's offer (the database's clock) and after it, until the
        // redirect reached the far end.
        await using (var data = NpgsqlDataSource.Create(connectionString))
        await using (var offers = data.CreateCommand("""
            SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_at - received_at) * 1000)
            FROM calls WHERE claimed_at IS NOT NULL AND bridged_at IS NOT NULL AND claimed_at > received_at + interval '1 millisecond'
            """))
            if (await offers.ExecuteScalarAsync() is double[] { Length: 2 } percentiles)
            {
                var (p50, p99) = (percentiles[0], percentiles[1]);
                const string What = "  of which until the router offered it (the call record)";
                Console.WriteLine($"{What,-60} p50 {p50,7:0.0} ms   p99 {p99,7:0.0} ms");
            }
        Console.WriteLine($"{calls} calls offered and let go in {took.TotalSeconds:0.0} s ({calls / took.TotalSeconds:0} calls/s)");
    }
}
