// Measures the call path against the real parts: the service on Kestrel (loopback) over a private PostgreSQL.
//   dotnet run -c Release --project bench/Receptionist.Bench [calls]
// Prints latency percentiles for the incoming-call webhook (signed, as Twilio sends it), the queue claim
// statement, and rendering a built-in greeting and script. Bounded: it stops by itself.
//   dotnet run -c Release --project bench/Receptionist.Bench metrics [calls]
// instead generates a call history (1,000,000 calls over 90 days, 100 operators) and measures the wallboard and the
// 30-day report through HTTP.
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Queue;
using Receptionist.Features.Scenarios;
using Receptionist.Features.Telephony;

const string AuthToken = "bench-auth-token";
const string PublicBaseUrl = "https://bench.receptionist.example";
var metricsMode = args is ["metrics", ..];
var calls = metricsMode ? (args.Length > 1 ? int.Parse(args[1]) : 1_000_000) : args.Length > 0 ? int.Parse(args[0]) : 1000;

var directory = Path.Combine(Path.GetTempPath(), $"receptionist-bench-{Guid.NewGuid():N}");
var postgres = await EmbeddedPostgres.StartAsync(directory);
await postgres.EnsureDatabaseAsync("bench");
var connectionString = postgres.ConnectionString("bench");

var app = new BenchApp(connectionString);
app.UseKestrel(0);
app.StartServer();
var http = app.CreateClient();

// A live business on a line, and an owner's bearer token.
var line = "+74950001122";
await Sql($"INSERT INTO receptionist_lines (id, number, added_at) VALUES (gen_random_uuid(), '{line}', now())");
(await http.PostAsJsonAsync("/api/auth/register", new { email = "bench@example.com", password = "bench-password-1" })).EnsureSuccessStatusCode();
var login = await (await http.PostAsJsonAsync("/api/auth/login", new { email = "bench@example.com", password = "bench-password-1" }))
    .Content.ReadFromJsonAsync<JsonElement>();
http.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("accessToken").GetString());
var business = await (await http.PostAsJsonAsync("/api/businesses", new
{
    name = "Бенчмарк", protectedNumber = "+74957778899", timeZone = "Europe/Moscow", summaryEmails = new[] { "b@example.com" },
})).Content.ReadFromJsonAsync<JsonElement>();
var businessId = business.GetProperty("id").GetGuid();
(await http.PutAsJsonAsync($"/api/businesses/{businessId}/scenario", new { builtIn = "take-message" })).EnsureSuccessStatusCode();
await Sql($"UPDATE businesses SET forwarding_verified_at = now() WHERE id = '{businessId}'");
await Sql($"""
    INSERT INTO subscriptions (id, business_id, plan_key, status, current_period_start, current_period_end, updated_at)
    VALUES (gen_random_uuid(), '{businessId}', 'start', 'Active', now(), now() + interval '30 days', now())
    """);

if (metricsMode)
{
    try
    {
        await MetricsBench.RunAsync(http, connectionString, businessId, calls);
    }
    finally
    {
        await app.DisposeAsync();
        await postgres.DisposeAsync();
    }
    try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    return;
}

var webhook = new HttpClient { BaseAddress = http.BaseAddress };
async Task<TimeSpan> IncomingCall(int n)
{
    var form = new Dictionary<string, string>
    {
        ["CallSid"] = $"CA{Guid.NewGuid():N}", ["AccountSid"] = "ACbench", ["From"] = $"+7916{1_000_000 + n}",
        ["To"] = line, ["CallStatus"] = "ringing", ["Direction"] = "inbound",
    };
    var signature = TwilioSignature.Compute(AuthToken, PublicBaseUrl + "/telephony/twilio/voice",
        form.Select(f => new KeyValuePair<string, StringValues>(f.Key, f.Value)));
    using var request = new HttpRequestMessage(HttpMethod.Post, "/telephony/twilio/voice") { Content = new FormUrlEncodedContent(form) };
    request.Headers.Add("X-Twilio-Signature", signature);
    var started = Stopwatch.GetTimestamp();
    using var response = await webhook.SendAsync(request);
    var elapsed = Stopwatch.GetElapsedTime(started);
    response.EnsureSuccessStatusCode();
    return elapsed;
}

for (var i = 0; i < 100; i++)
    await IncomingCall(i);
var sequential = new List<TimeSpan>();
for (var i = 0; i < calls; i++)
    sequential.Add(await IncomingCall(i));
Report("incoming-call webhook, one at a time", sequential);

var concurrent = new List<TimeSpan>();
var wall = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, calls), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
{
    var elapsed = await IncomingCall(i);
    lock (concurrent)
        concurrent.Add(elapsed);
});
Report($"incoming-call webhook, 8 concurrent ({calls / wall.Elapsed.TotalSeconds:0} calls/s)", concurrent);

// The claim statement itself, over the calls queued above; the operator is made available between claims (not timed).
var operatorId = await Scalar<Guid>("SELECT id FROM users WHERE email = 'bench@example.com'");
// A claim takes only callers heard from within the silence bound (their wait polls): these all just polled.
await Sql("UPDATE calls SET last_seen_at = now() WHERE status = 'Waiting'");
var claims = new List<TimeSpan>();
await using (var scope = app.Services.CreateAsyncScope())
{
    var queue = scope.ServiceProvider.GetRequiredService<CallQueue>();
    for (var i = 0; i < calls; i++)
    {
        await Sql($"""
            INSERT INTO operator_presence (operator_id, state, updated_at) VALUES ('{operatorId}', 'Available', now())
            ON CONFLICT (operator_id) DO UPDATE SET state = 'Available'
            """);
        var started = Stopwatch.GetTimestamp();
        var claimed = await queue.ClaimNextAsync(operatorId, CancellationToken.None);
        claims.Add(Stopwatch.GetElapsedTime(started));
        if (claimed is null)
            throw new InvalidOperationException("The queue ran dry before the benchmark ended.");
    }
}
Report($"queue claim (oldest of {2 * calls} waiting calls)", claims);

var renderer = app.Services.GetRequiredService<ScenarioRenderer>();
var builtIn = app.Services.GetRequiredService<BuiltInScenarios>().Find("take-message", "ru-RU")!;
var variables = ScenarioVariables.Sample("ru-RU", DateTimeOffset.Now);
var renders = new List<TimeSpan>();
for (var i = 0; i < 10_000; i++)
{
    var started = Stopwatch.GetTimestamp();
    var rendered = renderer.Render(BuiltInScenarios.CacheKey(builtIn.Key), builtIn.Source, variables);
    renders.Add(Stopwatch.GetElapsedTime(started));
    if (!rendered.Succeeded)
        throw new InvalidOperationException(rendered.Error.ToString());
}
Report("scenario render (take-message, cached)", renders);

await app.DisposeAsync();
await postgres.DisposeAsync();
try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }

static void Report(string what, List<TimeSpan> samples)
{
    var ms = samples.Select(s => s.TotalMilliseconds).Order().ToArray();
    double P(double q) => ms[(int)Math.Min(ms.Length - 1, Math.Round(q * (ms.Length - 1)))];
    Console.WriteLine($"{what,-60} n={ms.Length,6}  p50={P(0.5),7:0.000} ms  p95={P(0.95),7:0.000} ms  p99={P(0.99),7:0.000} ms");
}

async Task Sql(string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
}

async Task<T> Scalar<T>(string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    return (T)(await new NpgsqlCommand(sql, connection).ExecuteScalarAsync())!;
}

// Any type of the service's assembly names its entry point; Program here would be the benchmark's own.
sealed class BenchApp(string connectionString) : WebApplicationFactory<AppDbContext>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSolutionRelativeContentRoot("src/Receptionist");
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:Default", connectionString);
        builder.UseSetting("Twilio:AccountSid", "ACbench");
        builder.UseSetting("Twilio:AuthToken", "bench-auth-token");
        builder.UseSetting("App:PublicBaseUrl", "https://bench.receptionist.example");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Admin:Email", MetricsBench.AdminEmail);
        builder.UseSetting("Admin:Password", MetricsBench.AdminPassword);
    }
}
