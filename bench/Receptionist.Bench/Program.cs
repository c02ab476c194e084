// Measures the call path against the real parts: the service on Kestrel (loopback) over a private PostgreSQL.
//   dotnet run -c Release --project bench/Receptionist.Bench [calls]
// Prints latency percentiles for the incoming-call webhook (signed, as Twilio sends it) one at a time, its throughput
// at 8 and 32 concurrent beside a bare endpoint doing one INSERT into the same database (the floor), its latency at a
// fixed offered rate with and without 100 operator consoles connected across two instances (and whether every console
// saw every call),
// claims over HTTP by 100 operators at once (Twilio's REST API played by a loopback endpoint), the queue claim
// statement, the outbox beside a bare MailKit loop (to aiosmtpd), and rendering a built-in greeting and script. Bounded: it stops by itself.
//   dotnet run -c Release --project bench/Receptionist.Bench metrics [calls]
// instead generates a call history (1,000,000 calls over 90 days, 100 operators) and measures the wallboard and the
// 30-day report through HTTP.
//   dotnet run -c Release --project bench/Receptionist.Bench routing [calls] [calls per second]
// instead measures push routing: webhook → offer at 200 calls/s (by default) with 100 operators available (RoutingBench.cs).
//   dotnet run -c Release --project bench/Receptionist.Bench growth [calls …]
// instead measures the call path, the owner's call log and the console with 10k, 100k and 1M calls in the table
// (GrowthBench.cs), and shows the plans of their statements at the largest size.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Email;
using Receptionist.Features.Queue;
using Receptionist.Features.Scenarios;

const string AuthToken = "bench-auth-token";
const string PublicBaseUrl = "https://bench.receptionist.example";
var metricsMode = args is ["metrics", ..];
var routingMode = args is ["routing", ..];
var growthMode = args is ["growth", ..];
int[] growthSizes = growthMode && args.Length > 1 ? [.. args[1..].Select(int.Parse)] : [10_000, 100_000, 1_000_000];
var calls = metricsMode ? (args.Length > 1 ? int.Parse(args[1]) : 1_000_000)
    : routingMode ? (args.Length > 1 ? int.Parse(args[1]) : 2000)
    : args.Length > 0 && !growthMode ? int.Parse(args[0]) : 1000;

var directory = Path.Combine(Path.GetTempPath(), $"receptionist-bench-{Guid.NewGuid():N}");
var postgres = await EmbeddedPostgres.StartAsync(directory);
await postgres.EnsureDatabaseAsync("bench");
var connectionString = postgres.ConnectionString("bench");

// The far end: a bare endpoint doing one INSERT (the floor), and Twilio's call-redirect resource.
await Sql("CREATE TABLE floor_calls (id uuid PRIMARY KEY, provider_call_id varchar(64) NOT NULL UNIQUE, caller_number varchar(32) NOT NULL, received_at timestamptz NOT NULL)");
var farEndBuilder = WebApplication.CreateSlimBuilder();
farEndBuilder.WebHost.UseUrls("http://127.0.0.1:0");
farEndBuilder.Logging.ClearProviders();
var farEnd = farEndBuilder.Build();
await using var floorDatabase = NpgsqlDataSource.Create(connectionString);
farEnd.MapPost("/floor", async (HttpRequest request) =>
{
    var form = await request.ReadFormAsync();
    await using var insert = floorDatabase.CreateCommand(
        "INSERT INTO floor_calls (id, provider_call_id, caller_number, received_at) VALUES ($1, $2, $3, now())");
    insert.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
    insert.Parameters.Add(new NpgsqlParameter { Value = form["CallSid"].ToString() });
    insert.Parameters.Add(new NpgsqlParameter { Value = form["From"].ToString() });
    await insert.ExecuteNonQueryAsync();
    return Results.Text("<Response/>", "text/xml");
});
farEnd.MapPost("/2010-04-01/Accounts/{account}/Calls/{call}.json", async (string call, HttpRequest request) =>
{
    // Routing's redirects, timed as they arrive.
    var at = Stopwatch.GetTimestamp();
    RoutingBench.RedirectArrived(call, at, (await request.ReadFormAsync())["Url"].ToString());
    return Results.Json(new { sid = call, status = "in-progress" });
});
await farEnd.StartAsync();
var farEndUrl = farEnd.Urls.First();

// A real SMTP server for the outbox (Debian's python3-aiosmtpd), keeping each message in a Maildir it creates.
var smtpPort = FreeLoopbackPort();
using var smtpServer = Process.Start(new ProcessStartInfo("/usr/bin/python3",
    ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{smtpPort}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(directory, "mail")])
    { RedirectStandardOutput = true, RedirectStandardError = true })!;
for (var tries = 0; ; tries++)
{
    try { using var probe = new System.Net.Sockets.TcpClient("127.0.0.1", smtpPort); break; }
    catch (System.Net.Sockets.SocketException) when (tries < 100 && !smtpServer.HasExited) { await Task.Delay(100); }
}

// The service on Kestrel over one database, with a live business on a line and its owner signed in (a bearer token).
const string Line = "+74950001122";
async Task<BenchService> StartServiceAsync(string database)
{
    await postgres.EnsureDatabaseAsync(database);
    var connection = postgres.ConnectionString(database);
    var service = new BenchApp(connection, farEndUrl, smtpPort, push: routingMode);
    service.UseKestrel(0);
    service.StartServer();
    var owner = service.CreateClient();
    await using var sql = NpgsqlDataSource.Create(connection);
    await sql.CreateCommand($"INSERT INTO receptionist_lines (id, number, added_at) VALUES (gen_random_uuid(), '{Line}', now())").ExecuteNonQueryAsync();
    (await owner.PostAsJsonAsync("/api/auth/register", new { email = "bench@example.com", password = "bench-password-1", personalDataConsent = true })).EnsureSuccessStatusCode();
    owner.DefaultRequestHeaders.Authorization = new("Bearer", await BenchService.TokenAsync(owner, "bench@example.com", "bench-password-1"));
    var business = await (await owner.PostAsJsonAsync("/api/businesses", new
    {
        name = "Бенчмарк", protectedNumber = "+74957778899", timeZone = "Europe/Moscow", summaryEmails = new[] { "b@example.com" },
    })).Content.ReadFromJsonAsync<JsonElement>();
    var businessId = business.GetProperty("id").GetGuid();
    (await owner.PutAsJsonAsync($"/api/businesses/{businessId}/scenario", new { builtIn = "take-message" })).EnsureSuccessStatusCode();
    await sql.CreateCommand($"""
        UPDATE businesses SET forwarding_verified_at = now() WHERE id = '{businessId}';
        INSERT INTO subscriptions (id, business_id, plan_key, status, current_period_start, current_period_end, updated_at)
        VALUES (gen_random_uuid(), '{businessId}', 'start', 'Active', now(), now() + interval '30 days', now())
        """).ExecuteNonQueryAsync();
    return new BenchService(service, owner, businessId, database, connection);
}
var (app, http, businessId, _, _) = await StartServiceAsync("bench");
if (Environment.GetEnvironmentVariable("EXP") == "notrigger") await Sql("ALTER TABLE calls DISABLE TRIGGER USER");
if (Environment.GetEnvironmentVariable("EXP") == "onlythroughput") { }
var line = Line;

// The other modes run on the same set-up, then stop everything.
Func<Task>? otherMode = metricsMode ? () => MetricsBench.RunAsync(http, app.Services, connectionString, businessId, calls)
    : routingMode ? () => RoutingBench.RunAsync(http, connectionString, line, AuthToken, PublicBaseUrl, calls,
        perSecond: args.Length > 2 ? int.Parse(args[2]) : 200, TokenAsync)
    : growthMode ? () => GrowthBench.RunAsync(StartServiceAsync, Path.Combine(directory, "server.log"), line, AuthToken, PublicBaseUrl, growthSizes)
    : null;
if (otherMode is not null)
{
    try
    {
        await otherMode();
    }
    finally
    {
        await app.DisposeAsync();
        await farEnd.DisposeAsync();
        // Disposing the Process object leaves the SMTP server running.
        smtpServer.Kill();
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
    using var request = SignedWebhook.Request(AuthToken, PublicBaseUrl, "/telephony/twilio/voice", form);
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

var floor = new HttpClient { BaseAddress = new Uri(farEndUrl) };
async Task FloorInsert(int n)
{
    using var response = await floor.PostAsync("/floor", new FormUrlEncodedContent(new Dictionary<string, string>
    {
        ["CallSid"] = $"CA{Guid.NewGuid():N}", ["AccountSid"] = "ACbench", ["From"] = $"+7916{1_000_000 + n}",
        ["To"] = line, ["CallStatus"] = "ringing", ["Direction"] = "inbound",
    }));
    response.EnsureSuccessStatusCode();
}
for (var i = 0; i < 100; i++)
    await FloorInsert(i);
foreach (var concurrency in new[] { 8, 32 })
{
    var floorRate = await Throughput(FloorInsert, concurrency, calls);
    var webhookRate = await Throughput(async n => await IncomingCall(n), concurrency, calls);
    Console.WriteLine($"{$"incoming-call webhook, {concurrency} concurrent",-60} {webhookRate,7:0} requests/s   floor {floorRate,7:0} requests/s   ratio {webhookRate / floorRate:0.00}");
}

// Operators: created through the admin API, each signed in with a bearer token.
const int Operators = 100;
var admin = new HttpClient { BaseAddress = http.BaseAddress };
admin.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(BenchApp.AdminEmail, BenchApp.AdminPassword));
var operatorClients = new List<HttpClient>();
for (var i = 0; i < Operators; i++)
{
    var email = $"operator-{i}@bench.example";
    (await admin.PostAsJsonAsync("/api/admin/staff", new { email, password = "operator-password-1", displayName = $"Оператор {i}", role = "Operator" }))
        .EnsureSuccessStatusCode();
    var client = new HttpClient { BaseAddress = http.BaseAddress };
    client.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(email, "operator-password-1"));
    operatorClients.Add(client);
}

// The webhook at a fixed offered rate (open loop), without consoles and then with one console per operator listening:
// half of them on a second instance of the service over the same database, so each change reaches them through
// PostgreSQL's notifications, as on a floor served by two instances.
const int OfferedRate = 200;
Report($"incoming-call webhook at {OfferedRate} calls/s offered, no consoles", await OfferedAsync(OfferedRate, calls));
await using var secondInstance = new BenchApp(connectionString, farEndUrl, smtpPort, push: false);
secondInstance.UseKestrel(0);
secondInstance.StartServer();
var secondAddress = secondInstance.CreateClient().BaseAddress;
using (var consoles = new CancellationTokenSource())
{
    var seen = new int[Operators];
    var listening = new List<Task>();
    var ready = new CountdownEvent(Operators);
    for (var i = 0; i < Operators; i++)
    {
        var console = operatorClients[i];
        if (i % 2 == 1)
        {
            console = new HttpClient { BaseAddress = secondAddress };
            console.DefaultRequestHeaders.Authorization = operatorClients[i].DefaultRequestHeaders.Authorization;
        }
        listening.Add(ListenAsync(console, i, seen, ready, consoles.Token));
    }
    if (!ready.Wait(TimeSpan.FromSeconds(60)))
        throw new InvalidOperationException("The consoles did not connect.");
    var offered = await OfferedAsync(OfferedRate, calls);
    var lastAnswer = Stopwatch.GetTimestamp();
    while (seen.Min() < calls && Stopwatch.GetElapsedTime(lastAnswer) < TimeSpan.FromSeconds(10))
        await Task.Delay(5);
    var drained = Stopwatch.GetElapsedTime(lastAnswer);
    Report($"incoming-call webhook at {OfferedRate} calls/s offered, {Operators} consoles on 2 instances", offered);
    Console.WriteLine($"{"  every console saw every call",-60} min {seen.Min()} / {calls} events per console; the last within {drained.TotalMilliseconds:0} ms of the last answer");
    await consoles.CancelAsync();
    try { await Task.WhenAll(listening); } catch (OperationCanceledException) { } catch (HttpRequestException) { } catch (IOException) { }
}

// Claims: all operators ask at once, in rounds (a claimed operator is busy until the round is reset); the first round
// of each kind warms the connection pool and is not counted. Over HTTP (the claim, the redirect through the provider,
// the claimed call's details), then the claim statement alone at the same concurrency.
var operatorIds = new List<Guid>();
for (var i = 0; i < Operators; i++)
    operatorIds.Add(await Scalar<Guid>($"SELECT id FROM users WHERE email = 'operator-{i}@bench.example'"));
foreach (var client in operatorClients)
    (await client.PutAsJsonAsync("/api/console/presence", new { state = "available" })).EnsureSuccessStatusCode();
var rounds = Math.Max(1, calls / Operators);
var claimedIds = new HashSet<Guid>();
var doubleClaims = 0;
async Task ResetRound()
{
    await Sql("UPDATE calls SET status = 'Ended', outcome = 'Answered', ended_at = now() WHERE status = 'Claimed'");
    await Sql("UPDATE operator_presence SET state = 'Available'");
    await Sql("UPDATE calls SET last_seen_at = now() WHERE status = 'Waiting'");
}
async Task<(List<TimeSpan> Latencies, double PerSecond)> ClaimRounds(Func<int, Task<Guid?>> claim)
{
    var latencies = new List<TimeSpan>();
    var time = TimeSpan.Zero;
    for (var round = 0; round <= rounds; round++)
    {
        await ResetRound();
        var roundStarted = Stopwatch.GetTimestamp();
        var answers = await Task.WhenAll(Enumerable.Range(0, Operators).Select(async i =>
        {
            var started = Stopwatch.GetTimestamp();
            var callId = await claim(i);
            return (Stopwatch.GetElapsedTime(started), callId ?? throw new InvalidOperationException("The queue ran dry."));
        }));
        if (round == 0)
            continue;
        time += Stopwatch.GetElapsedTime(roundStarted);
        foreach (var (elapsed, callId) in answers)
        {
            latencies.Add(elapsed);
            if (!claimedIds.Add(callId))
                doubleClaims++;
        }
    }
    return (latencies, latencies.Count / time.TotalSeconds);
}
var overHttp = await ClaimRounds(async i =>
{
    using var response = await operatorClients[i].PostAsync("/api/console/calls/next", null);
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("callId").GetGuid();
});
var statementAlone = await ClaimRounds(async i =>
{
    await using var scope = app.Services.CreateAsyncScope();
    return (await scope.ServiceProvider.GetRequiredService<CallQueue>().ClaimNextAsync(operatorIds[i], CancellationToken.None))?.Id;
});
Report($"claims over HTTP, {Operators} operators at once ({overHttp.PerSecond:0} claims/s)", overHttp.Latencies);
Report($"claim statement alone, {Operators} at once ({statementAlone.PerSecond:0} claims/s, ratio {overHttp.PerSecond / statementAlone.PerSecond:0.00})", statementAlone.Latencies);
Console.WriteLine($"{"  double claims (both kinds)",-60} {doubleClaims}");

// The claim statement itself, over the calls queued above; the operator is made available between claims (not timed).
var operatorId = await Scalar<Guid>("SELECT id FROM users WHERE email = 'bench@example.com'");
// A claim takes only callers heard from within the silence bound (their wait polls): these all just polled.
await Sql("UPDATE calls SET last_seen_at = now() WHERE status = 'Waiting'");
var waitingBefore = await Scalar<long>("SELECT count(*) FROM calls WHERE status = 'Waiting'");
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
Report($"queue claim statement alone, one at a time (oldest of {waitingBefore} waiting)", claims);

// The outbox beside a bare MailKit loop on one connection, both to the same SMTP server.
MimeKit.MimeMessage BareEmail(int i)
{
    var mime = new MimeKit.MimeMessage { Subject = $"Bare {i}", Body = new MimeKit.TextPart("plain") { Text = $"Message {i}" } };
    mime.From.Add(MimeKit.MailboxAddress.Parse("calls@bench.example"));
    mime.To.Add(MimeKit.MailboxAddress.Parse("owner@bench.example"));
    return mime;
}
var bareWall = Stopwatch.StartNew();
using (var smtp = new MailKit.Net.Smtp.SmtpClient())
{
    await smtp.ConnectAsync("127.0.0.1", smtpPort, MailKit.Security.SecureSocketOptions.None);
    for (var i = 0; i < calls; i++)
        await smtp.SendAsync(BareEmail(i));
    await smtp.DisconnectAsync(true);
}
var bareRate = calls / bareWall.Elapsed.TotalSeconds;
var outboxWall = Stopwatch.StartNew();
await using (var scope = app.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
    for (var i = 0; i < calls; i++)
        db.Add(Receptionist.Features.Outbox.OutboxMessage.Email(new EmailMessage(
            ["owner@bench.example"], $"Outbox {i}", $"Message {i}", null, MimeKit.Utils.MimeUtils.GenerateMessageId()), DateTimeOffset.UtcNow));
    await db.SaveChangesAsync();
}
while (await Scalar<long>("SELECT count(*) FROM outbox_messages WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND kind = 'email'") > 0)
    await Task.Delay(20);
var outboxRate = calls / outboxWall.Elapsed.TotalSeconds;
Console.WriteLine($"{"outbox emails to a local SMTP server",-60} {outboxRate,7:0} emails/s    bare MailKit loop, one connection {bareRate,7:0} emails/s   ratio {outboxRate / bareRate:0.00}");

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
await farEnd.DisposeAsync();
smtpServer.Kill();
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

static int FreeLoopbackPort()
{
    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}

Task<string> TokenAsync(string email, string password) => BenchService.TokenAsync(http, email, password);

// Requests per second doing `operation` `count` times, `concurrency` at a time.
static async Task<double> Throughput(Func<int, Task> operation, int concurrency, int count)
{
    var wall = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
        async (i, _) => await operation(i));
    return count / wall.Elapsed.TotalSeconds;
}

// Calls offered at a fixed rate whatever the answers' pace (Twilio does not wait for one call to be answered before
// the next rings); each call's latency from its own start.
async Task<List<TimeSpan>> OfferedAsync(int perSecond, int count)
{
    var started = Stopwatch.GetTimestamp();
    var pending = new List<Task<TimeSpan>>();
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / perSecond) - Stopwatch.GetElapsedTime(started);
        if (due > TimeSpan.Zero)
            await Task.Delay(due);
        pending.Add(Task.Run(() => IncomingCall(i)));
    }
    return [.. await Task.WhenAll(pending)];
}

// One operator console's event stream: counts the calls it is told are waiting.
static async Task ListenAsync(HttpClient client, int index, int[] seen, CountdownEvent ready, CancellationToken ct)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, "/api/console/events");
    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    response.EnsureSuccessStatusCode();
    await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(ct)).EnumerateAsync(ct))
    {
        if (item.EventType == "ready")
            ready.Signal();
        else if (item.EventType == "queue" && item.Data.Contains("\"status\":\"waiting\"", StringComparison.Ordinal))
            Interlocked.Increment(ref seen[index]);
    }
}

// Any type of the service's assembly names its entry point; Program here would be the benchmark's own.
/// <param name="push">Push routing (the routing mode); the call-path modes measure claims by hand, as before.</param>
sealed class BenchApp(string connectionString, string twilioApi, int smtpPort, bool push) : WebApplicationFactory<AppDbContext>
{
    public const string AdminEmail = "admin@bench.example", AdminPassword = "admin-password-1";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Twilio:ApiBaseUrl", twilioApi);
        builder.UseSetting("Smtp:Host", "127.0.0.1");
        builder.UseSetting("Smtp:Port", $"{smtpPort}");
        builder.UseSetting("Smtp:Security", "None");
        builder.UseSetting("Smtp:From", "Receptionist <calls@bench.example>");
        builder.UseSetting("Outbox:PollInterval", "00:00:00.050");
        builder.UseSetting("Admin:Email", AdminEmail);
        builder.UseSetting("Admin:Password", AdminPassword);
        // A hundred operators sign in from one address; reconciliation is not what is measured here.
        foreach (var limit in new[] { "AccountsPerClient", "AccountsPerEmail" })
            builder.UseSetting($"Throttling:{limit}:PermitLimit", "100000");
        builder.UseSetting("Calls:ReconcileInterval", "01:00:00");
        // The benchmark runs the service-level rollup itself, timing each kind of run.
        builder.UseSetting("Metrics:RollupInterval", "00:00:00");
        builder.UseSetting("Routing:Push", push ? "true" : "false");
        // The routing benchmark's queued callers ask the wait URL every 5 s, but an overloaded machine can answer a
        // poll late: the longer silence keeps such a caller in the queue rather than handing it to reconciliation.
        if (push)
            builder.UseSetting("Calls:CallerSilenceSeconds", "300");
        builder.UseSolutionRelativeContentRoot("src/Receptionist");
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:Default", connectionString);
        builder.UseSetting("Twilio:AccountSid", "ACbench");
        builder.UseSetting("Twilio:AuthToken", "bench-auth-token");
        builder.UseSetting("App:PublicBaseUrl", "https://bench.receptionist.example");
        // Production refuses to start without whom the legal pages name.
        builder.UseSetting("Legal:ContactEmail", "privacy@bench.receptionist.example");
        builder.UseSetting("Legal:OperatorName", "Receptionist bench");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }
}

/// <summary>One instance of the service, its database, and its benchmark business's owner signed in.</summary>
sealed record BenchService(BenchApp App, HttpClient Owner, Guid BusinessId, string Database, string ConnectionString)
{
    public static async Task<string> TokenAsync(HttpClient client, string email, string password)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        return answer.TryGetProperty("accessToken", out var token)
            ? token.GetString()!
            : throw new InvalidOperationException($"Signing in {email} answered {(int)response.StatusCode}: {answer}");
    }
}
