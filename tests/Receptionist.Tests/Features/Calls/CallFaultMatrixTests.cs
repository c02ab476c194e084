using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Calls;

/// <summary>
/// The call path's truth under faults: each report Twilio sends about a call is, in turn, lost, delivered eight times
/// at once, or delivered late, and the call must still end in its one true outcome, with the operator free, the owner
/// told exactly as often as they should be and the bill right. The results become the table in the README.
/// </summary>
public sealed class CallFaultMatrixApp(PostgresServer postgres) : CallsApp(postgres)
{
    public ConcurrentDictionary<(string Flow, string Report, string Fault), string> Results { get; } = new();

    public override async ValueTask DisposeAsync()
    {
        FaultMatrixTable.WriteToReadme(Results);
        await base.DisposeAsync();
    }
}

public sealed class CallFaultMatrixTests(CallFaultMatrixApp app) : IClassFixture<CallFaultMatrixApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const string Caller = "+79161112233";

    public const string Lost = "lost";
    public const string EightAtOnce = "8 at once";
    public const string Late = "late";
    public static readonly string[] Faults = [Lost, EightAtOnce, Late];

    /// <summary>A caller waits 5 s, talks to the operator for 95 s (answered 8 s after calling), then the call ends.</summary>
    public static readonly string[] AnsweredReports = ["voice", "wait", "queue-result", "bridge", "operator-leg", "dial-result", "status"];

    /// <summary>A caller waits 12 s and hangs up.</summary>
    public static readonly string[] MissedReports = ["voice", "wait", "queue-result", "status"];

    public static TheoryData<string, string> AnsweredCases() => Cases(AnsweredReports);
    public static TheoryData<string, string> MissedCases() => Cases(MissedReports);

    static TheoryData<string, string> Cases(string[] reports)
    {
        var data = new TheoryData<string, string>();
        foreach (var report in reports)
            foreach (var fault in Faults)
                data.Add(report, fault);
        return data;
    }

    /// <summary>What the call came to, as the owner, the operator and the bill see it.</summary>
    sealed record Ending(string Status, string? Outcome, long Emails, bool Billable, double? WaitSeconds, string OperatorState)
    {
        public override string ToString() =>
            $"{Outcome?.ToLowerInvariant() ?? Status}, {Emails} missed-call email{(Emails == 1 ? "" : "s")}, " +
            (Billable ? $"billed (wait {WaitSeconds:0} s)" : "not billed") + $", operator {OperatorState}";
    }

    sealed class Run(CallFaultMatrixApp app, LiveBusiness business, HttpClient operatorClient, Guid operatorId, string sid)
    {
        public Guid OperatorId => operatorId;
        public CallFaultMatrixApp App => app;
        public LiveBusiness Business => business;
        public HttpClient Operator => operatorClient;
        public string Sid => sid;
        public Guid CallId { get; set; }
        public DateTimeOffset Start { get; } = app.Clock.GetUtcNow();

        public static string Rfc2822(DateTimeOffset at) =>
            at.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

        public Task<HttpResponseMessage> Callback(string path, params (string, string)[] fields) =>
            app.CallbackAsync(path, sid, fields);
    }

    /// <summary>One report: how Twilio sends it, when (seconds after the call came), and whether it is a TwiML request
    /// whose answer Twilio waits for before going on: such a request cannot be overtaken by what follows it, so "late"
    /// is a repeat of it after the call has ended. Any other report arrives late after the one that follows it (the
    /// last one, after reconciliation has run).</summary>
    sealed record Report(string Name, int At, bool TwiML, Func<Run, Task<HttpResponseMessage>> Send);

    static IReadOnlyList<Report> AnsweredFlow() =>
    [
        new("voice", 0, true, r => r.App.IncomingCallAsync(r.Sid, Caller, r.Business.Line)),
        new("wait", 3, true, r => r.Callback($"/telephony/twilio/wait?call={r.CallId}", ("QueueTime", "3"))),
        new("queue-result", 5, false, r => r.Callback($"/telephony/twilio/queue-result?call={r.CallId}", ("QueueResult", "redirected"))),
        new("bridge", 5, true, r => r.Callback($"/telephony/twilio/bridge?call={r.CallId}")),
        new("operator-leg", 8, false, r => r.Callback($"/telephony/twilio/operator-leg?call={r.CallId}",
            ("CallStatus", "in-progress"), ("Timestamp", Run.Rfc2822(r.Start.AddSeconds(8))))),
        // The Dial's action and the call's status callback both fire when the caller hangs up: either may come first.
        new("dial-result", 103, false, r => r.Callback($"/telephony/twilio/dial-result?call={r.CallId}",
            ("DialCallStatus", "completed"), ("DialCallDuration", "95"))),
        new("status", 103, false, r => r.Callback("/telephony/twilio/status",
            ("CallStatus", "completed"), ("CallDuration", "103"), ("Timestamp", Run.Rfc2822(r.Start.AddSeconds(103))))),
    ];

    static IReadOnlyList<Report> MissedFlow() =>
    [
        new("voice", 0, true, r => r.App.IncomingCallAsync(r.Sid, Caller, r.Business.Line)),
        new("wait", 3, true, r => r.Callback($"/telephony/twilio/wait?call={r.CallId}", ("QueueTime", "3"))),
        // The Enqueue action and the status callback both fire when the caller hangs up: either may come first.
        new("queue-result", 12, false, r => r.Callback($"/telephony/twilio/queue-result?call={r.CallId}", ("QueueResult", "hangup"))),
        new("status", 12, false, r => r.Callback("/telephony/twilio/status",
            ("CallStatus", "completed"), ("CallDuration", "12"), ("Timestamp", Run.Rfc2822(r.Start.AddSeconds(12))))),
    ];

    [Theory]
    [MemberData(nameof(AnsweredCases))]
    public async Task AnAnsweredCallEndsAnsweredWhateverHappensToOneReport(string report, string fault)
    {
        var ending = await PlayAsync("answered", AnsweredFlow(), report, fault);

        // Twilio could not fetch the bridge: the caller was dropped before reaching the operator. A missed call.
        var expected = (report, fault) is ("bridge", Lost)
            ? new Ending("Ended", "Abandoned", 1, false, null, "available")
            : new Ending("Ended", "Answered", 0, true, 8, "wrapUp");
        Assert.Equal(expected.ToString(), ending.ToString());
    }

    [Theory]
    [MemberData(nameof(MissedCases))]
    public async Task ACallerWhoHangsUpInTheQueueIsOneMissedCallWhateverHappensToOneReport(string report, string fault)
    {
        var ending = await PlayAsync("missed", MissedFlow(), report, fault);

        Assert.Equal(new Ending("Ended", "Abandoned", 1, false, null, "available").ToString(), ending.ToString());
    }

    [Fact]
    public async Task WhenEveryReportAfterTheBridgeIsLostTheProvidersRecordSettlesTheCallAsAnswered()
    {
        var ending = await PlayAsync("answered", AnsweredFlow(), "operator-leg, dial-result, status", Lost,
            lost: ["operator-leg", "dial-result", "status"]);

        Assert.Equal(new Ending("Ended", "Answered", 0, true, 8, "wrapUp").ToString(), ending.ToString());
    }

    [Fact]
    public async Task WhenEveryReportAfterTheWaitIsLostTheProvidersRecordSettlesTheCallAsMissed()
    {
        var ending = await PlayAsync("missed", MissedFlow(), "queue-result, status", Lost, lost: ["queue-result", "status"]);

        Assert.Equal(new Ending("Ended", "Abandoned", 1, false, null, "available").ToString(), ending.ToString());
    }

    /// <summary>
    /// Plays one call through its reports with <paramref name="fault"/> applied to <paramref name="target"/>; then, as
    /// time passes, Twilio's own record says the call is over and reconciliation runs, as it would on any instance.
    /// </summary>
    async Task<Ending> PlayAsync(string flow, IReadOnlyList<Report> reports, string target, string fault, string[]? lost = null)
    {
        lost ??= fault == Lost ? [target] : [];
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var (operatorClient, operatorEmail) = await app.NewOperatorAsync();
        (await operatorClient.PutAsJsonAsync("/api/console/presence", new { state = "available" }, Ct)).EnsureSuccessStatusCode();
        var operatorId = await app.ScalarAsync<Guid>("SELECT id FROM users WHERE email = $1", operatorEmail);
        // Twilio's timestamps have whole seconds: so does the call's start here.
        app.Clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - app.Clock.GetUtcNow().Ticks % TimeSpan.TicksPerSecond));
        var run = new Run(app, business, operatorClient, operatorId, $"CA{Guid.NewGuid():N}");
        var answered = flow == "answered";
        var lateRepeats = new List<Report>();
        Report? overtaken = null;
        var bridgeLost = lost.Contains("bridge");

        foreach (var report in reports)
        {
            app.Clock.Advance(run.Start.AddSeconds(report.At) - app.Clock.GetUtcNow());
            if (answered && report.Name == "queue-result")
                await ClaimAsync(run);
            // Without the bridge's instructions Twilio never dials the operator, and the call ends in an error.
            if (bridgeLost && report.Name is "operator-leg" or "dial-result")
                continue;
            // A lost incoming-call answer is retried by Twilio (it retries webhooks, not status callbacks): we get it twice.
            if (report.Name == "voice" && lost.Contains("voice"))
                await DeliverAsync(run, report);
            else if (lost.Contains(report.Name))
                continue;
            if (report.Name == target && fault == EightAtOnce)
                await DeliverEightAtOnceAsync(run, report);
            else if (report.Name == target && fault == Late && report.TwiML)
            {
                await DeliverAsync(run, report);
                lateRepeats.Add(report);
            }
            else if (report.Name == target && fault == Late && report == reports[^1])
                lateRepeats.Add(report);
            else if (report.Name == target && fault == Late)
                overtaken = report;
            else
            {
                await DeliverAsync(run, report);
                if (overtaken is not null)
                {
                    await DeliverAsync(run, overtaken);
                    overtaken = null;
                }
            }
            if (report.Name == "voice")
                run.CallId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", run.Sid);
        }

        // Later: the provider's record of the call (and of the operator's leg, when it was dialled) is what it is.
        var ended = run.Start.AddSeconds(reports[^1].At);
        app.Twilio.SetCall(run.Sid, "completed", run.Start, ended, reports[^1].At);
        if (answered && !bridgeLost)
            app.Twilio.SetChildCall(run.Sid, "completed", run.Start.AddSeconds(5), ended, 95);
        app.Clock.Advance(TimeSpan.FromHours(1));
        await app.ReconcileAsync();
        foreach (var repeat in lateRepeats)
            await DeliverAsync(run, repeat);

        var ending = await EndingOfAsync(run);
        app.Results[(flow, target, fault)] = ending.ToString();
        return ending;
    }

    static async Task ClaimAsync(Run run)
    {
        var claim = await run.Operator.PostAsync("/api/console/calls/next", null, Ct);
        Assert.True(claim.IsSuccessStatusCode, $"claim: {(int)claim.StatusCode} {await claim.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal(run.CallId, (await claim.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("callId").GetGuid());
    }

    static async Task DeliverAsync(Run run, Report report)
    {
        var response = await report.Send(run);
        Assert.True(response.IsSuccessStatusCode, $"{report.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>Eight concurrent deliveries all get the same answer, and none a 5xx.</summary>
    static async Task DeliverEightAtOnceAsync(Run run, Report report)
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => report.Send(run)));
        var answers = await Task.WhenAll(responses.Select(async r => $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync(Ct)}"));
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode, $"{report.Name}: {string.Join(" | ", answers)}"));
        Assert.Single(answers.Distinct());
    }

    async Task<Ending> EndingOfAsync(Run run)
    {
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM calls WHERE provider_call_id = $1", run.Sid));
        var status = await app.ScalarAsync<string>("SELECT status FROM calls WHERE id = $1", run.CallId);
        var outcome = await app.ScalarAsync<string>("SELECT outcome FROM calls WHERE id = $1", run.CallId);
        var billable = await app.ScalarAsync<bool>("SELECT billable AND answered_at IS NOT NULL FROM calls WHERE id = $1", run.CallId);
        var wait = await app.ScalarAsync<double?>("SELECT extract(epoch FROM answered_at - received_at)::float8 FROM calls WHERE id = $1", run.CallId);
        // Read from the database: an hour on the test clock has expired the operator's sign-in.
        var presence = await app.ScalarAsync<string>("SELECT state FROM operator_presence WHERE operator_id = $1", run.OperatorId);
        return new Ending(status!, outcome, await app.EmailsToAsync(run.Business), billable, wait,
            char.ToLowerInvariant(presence![0]) + presence[1..]);
    }
}

/// <summary>Writes the fault matrix's results into the README between its markers, once every case has run.</summary>
static class FaultMatrixTable
{
    const string Start = "<!-- fault-matrix:start -->";
    const string End = "<!-- fault-matrix:end -->";

    public static void WriteToReadme(IReadOnlyDictionary<(string Flow, string Report, string Fault), string> results)
    {
        var expected = CallFaultMatrixTests.AnsweredReports.Length * 3 + CallFaultMatrixTests.MissedReports.Length * 3;
        if (results.Count < expected || FindReadme() is not { } readme)
            return;
        var table = new StringBuilder();
        foreach (var (flow, reports, title) in new[]
        {
            ("answered", CallFaultMatrixTests.AnsweredReports, "A caller answered 8 s after calling, talking 95 s"),
            ("missed", CallFaultMatrixTests.MissedReports, "A caller hanging up after 12 s in the queue"),
        })
        {
            table.AppendLine().AppendLine($"{title}:").AppendLine();
            table.AppendLine("| report | " + string.Join(" | ", CallFaultMatrixTests.Faults) + " |");
            table.AppendLine("| --- |" + string.Concat(CallFaultMatrixTests.Faults.Select(_ => " --- |")));
            foreach (var report in reports)
                table.AppendLine($"| {report} | " + string.Join(" | ", CallFaultMatrixTests.Faults.Select(f =>
                    results.TryGetValue((flow, report, f), out var r) ? r : "—")) + " |");
            foreach (var ((f, report, fault), result) in results.Where(r => r.Key.Flow == flow && !reports.Contains(r.Key.Report)))
                table.AppendLine($"| {report}, all {fault} | {result} | | |");
        }
        var text = File.ReadAllText(readme);
        var from = text.IndexOf(Start, StringComparison.Ordinal);
        var to = text.IndexOf(End, StringComparison.Ordinal);
        if (from < 0 || to < from)
            return;
        File.WriteAllText(readme, text[..(from + Start.Length)] + "\n" + table + "\n" + text[to..]);
    }

    static string? FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Receptionist.sln")))
                return Path.Combine(dir.FullName, "README.md");
        return null;
    }
}
