using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Metrics;

/// <summary>
/// Fixed sets of calls written straight into the call record, on days of their own (so tests sharing the database
/// never see each other's calls), whose figures are worked out by hand here and read back through the API.
/// </summary>
public sealed class MetricsTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    Task InsertAsync(Guid businessId, DateTimeOffset baseTime, params FixedCall[] calls) =>
        FixedCall.InsertAsync(app, businessId, baseTime, calls);

    async Task<Guid> OperatorIdAsync(string name)
    {
        var (_, email) = await app.NewOperatorAsync(name);
        return await app.ScalarAsync<Guid>("SELECT id FROM users WHERE email = $1", email);
    }

    static void Near(double expected, JsonElement actual, string name) =>
        Assert.True(actual.ValueKind == JsonValueKind.Number && Math.Abs(actual.GetDouble() - expected) < 0.001,
            $"{name}: expected {expected}, got {actual}");

    [Fact]
    public async Task TheAdminReportOfADayIsWhatTheDefinitionsGiveByHand()
    {
        var business = await app.NewBusinessAsync(live: false);
        var anna = await OperatorIdAsync("Анна Metrics");
        // 2025-03-10 10:00 in Moscow (the admin's time zone): a day no other test uses.
        var day = new DateTimeOffset(2025, 3, 10, 10, 0, 0, TimeSpan.FromHours(3));
        const string repeatCaller = "+79160000001", onceCaller = "+79160000002";
        await InsertAsync(business.Id, day,
            // Answered exactly at T = 20 s: within the service level. Talk 100 s, summary 30 s after the end.
            new FixedCall(0, "Answered", Wait: 20, Talk: 100, WrapUp: 30, Caller: repeatCaller, Operator: anna),
            // Answered at 25 s: late for the SL, within the billing SLA. Talk 200, wrap-up 10.
            new FixedCall(60, "Answered", Wait: 25, Talk: 200, WrapUp: 10, Caller: onceCaller, Operator: anna),
            // Answered at 40 s: not billed. Talk 60; the summary was written during the call (no wrap-up).
            new FixedCall(120, "Answered", Wait: 40, Talk: 60, WrapUp: -5, Operator: anna),
            // Hung up exactly at the short-abandon time (5 s): a short abandon, left out of SL and abandonment.
            new FixedCall(180, "Abandoned", EndedAfter: 5),
            // Hung up after 12 s: abandoned. An hour later, so the hours differ.
            new FixedCall(3600, "Abandoned", EndedAfter: 12),
            // Nobody in 60 s: overflowed to the fallback.
            new FixedCall(3660, "Overflowed", EndedAfter: 65),
            // Not live: straight to the fallback, never offered.
            new FixedCall(3720, "NotLive", EndedAfter: 30));
        // The first caller calls again two days later (a repeat); the second only eight days later (not one).
        await InsertAsync(business.Id, day.AddDays(2), new FixedCall(0, "Abandoned", EndedAfter: 30, Caller: repeatCaller));
        await InsertAsync(business.Id, day.AddDays(8), new FixedCall(0, "Abandoned", EndedAfter: 30, Caller: onceCaller));

        var admin = await app.AdminAsync();
        var report = await admin.GetFromJsonAsync<JsonElement>("/api/admin/metrics?from=2025-03-10&to=2025-03-10", Ct);

        Assert.Equal(6, report.GetProperty("offered").GetInt32());
        Assert.Equal(3, report.GetProperty("answered").GetInt32());
        Assert.Equal(1, report.GetProperty("abandoned").GetInt32());
        Assert.Equal(1, report.GetProperty("shortAbandoned").GetInt32());
        Assert.Equal(1, report.GetProperty("overflowed").GetInt32());
        Assert.Equal(1, report.GetProperty("notLive").GetInt32());
        Assert.Equal(4, report.GetProperty("missed").GetInt32());
        Assert.Equal(1, report.GetProperty("notBilled").GetInt32());
        // SL = within 20 s (1) / (answered 3 + abandoned after 5 s 1); the billing SLA share: 2 / 4.
        Near(0.25, report.GetProperty("serviceLevel"), "serviceLevel");
        Near(0.5, report.GetProperty("answeredWithinBillingSla"), "answeredWithinBillingSla");
        // ASA = (20 + 25 + 40) / 3; p50 = 25; p90 = 25 + 0.8 × (40 − 25) (linear between ranks).
        Near(28.3, report.GetProperty("averageSpeedOfAnswerSeconds"), "ASA");
        Near(25, report.GetProperty("waitP50Seconds"), "p50");
        Near(37, report.GetProperty("waitP90Seconds"), "p90");
        // Abandonment = 1 / (6 offered − 1 short); overflow = 1 / 6.
        Near(0.2, report.GetProperty("abandonmentRate"), "abandonmentRate");
        Near(0.1667, report.GetProperty("overflowRate"), "overflowRate");
        // AHT = talk (100 + 200 + 60) / 3 = 120 + wrap-up (30 + 10 + 0) / 3 = 13.3, hold 0.
        Assert.Equal(3, report.GetProperty("handled").GetInt32());
        Near(120, report.GetProperty("averageTalkSeconds"), "talk");
        Near(13.3, report.GetProperty("averageWrapUpSeconds"), "wrap-up");
        Near(0, report.GetProperty("averageHoldSeconds"), "hold");
        Near(133.3, report.GetProperty("averageHandleTimeSeconds"), "AHT");
        // Repeat callers: 1 of the 3 answered.
        Assert.Equal(1, report.GetProperty("repeatCalls").GetInt32());
        Near(0.3333, report.GetProperty("repeatCallRate"), "repeatCallRate");

        var hours = report.GetProperty("byHour").EnumerateArray().ToDictionary(h => h.GetProperty("hour").GetInt32(), h => h.GetProperty("figures"));
        Assert.Equal([10, 11], hours.Keys.Order());
        Assert.Equal(4, hours[10].GetProperty("offered").GetInt32());
        Near(1.0 / 3, hours[10].GetProperty("serviceLevel"), "SL at 10");
        Assert.Equal(2, hours[11].GetProperty("offered").GetInt32());
        // At 11 nobody was answered and one caller gave up after 12 s: SL 0 / 1.
        Near(0, hours[11].GetProperty("serviceLevel"), "SL at 11");
        Near(0.5, hours[11].GetProperty("abandonmentRate"), "abandonment at 11");

        var mine = report.GetProperty("byOperator").EnumerateArray().Single(o => o.GetProperty("operatorId").GetGuid() == anna);
        Assert.Equal(3, mine.GetProperty("handled").GetInt32());
        Near(133.3, mine.GetProperty("averageHandleTimeSeconds"), "operator AHT");
        var byBusiness = report.GetProperty("byBusiness").EnumerateArray().Single(b => b.GetProperty("businessId").GetGuid() == business.Id);
        Assert.Equal(6, byBusiness.GetProperty("figures").GetProperty("offered").GetInt32());

        // The owner's figures of the same day come from the same computation (Moscow is also the business's zone).
        var owner = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/metrics?from=2025-03-10&to=2025-03-10", Ct);
        Near(0.25, owner.GetProperty("serviceLevel"), "owner's serviceLevel");
        Near(133.3, owner.GetProperty("averageHandleTimeSeconds"), "owner's AHT");
        Near(0.3333, owner.GetProperty("repeatCallRate"), "owner's repeatCallRate");
        Near(37, owner.GetProperty("waitP90Seconds"), "owner's p90");

        var csv = await admin.GetAsync("/api/admin/metrics.csv?from=2025-03-10&to=2025-03-10", Ct);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync(Ct);
        Assert.Contains("serviceLevel,0.25", text);
        Assert.Contains("averageSpeedOfAnswerSeconds,28.3", text);
        Assert.Contains("Анна Metrics,3,3,133.3", text);
    }

    [Fact]
    public async Task APeriodWithoutCallsHasZerosAndNoRatios()
    {
        var business = await app.NewBusinessAsync(live: false);
        var owner = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/metrics?from=2024-01-01T00:00:00Z&to=2024-01-31T00:00:00Z", Ct);
        Assert.Equal(0, owner.GetProperty("offered").GetInt32());
        Assert.Equal(JsonValueKind.Null, owner.GetProperty("serviceLevel").ValueKind);
        Assert.Equal(JsonValueKind.Null, owner.GetProperty("waitP50Seconds").ValueKind);
        var admin = await (await app.AdminAsync()).GetFromJsonAsync<JsonElement>("/api/admin/metrics?from=2024-02-01&to=2024-02-02", Ct);
        Assert.Equal(0, admin.GetProperty("answered").GetInt32());
    }

    [Fact]
    public async Task AnOwnerSeesTheirBusinessDaysInItsOwnTimeZoneAndACallOverMidnightCountsOnTheDayItCame()
    {
        var business = await app.NewBusinessAsync(live: false, profile: new
        {
            name = "Владивостокский сервис", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}",
            timeZone = "Asia/Vladivostok", summaryEmails = new[] { "vl@example.com" },
        });
        var other = await app.NewBusinessAsync(live: false);
        var vladivostok = TimeSpan.FromHours(10);
        // Enters the queue at 23:59:50 local, answered at 00:00:15 (25 s: late for the SL).
        await InsertAsync(business.Id, new DateTimeOffset(2025, 4, 1, 23, 59, 50, vladivostok),
            new FixedCall(0, "Answered", Wait: 25, Talk: 30, Billable: true));
        // Enters at 00:00:10 the next day, answered in 5 s.
        await InsertAsync(business.Id, new DateTimeOffset(2025, 4, 2, 0, 0, 10, vladivostok),
            new FixedCall(0, "Answered", Wait: 5, Talk: 30));
        // Another tenant's calls on the same days never show in this owner's figures.
        await InsertAsync(other.Id, new DateTimeOffset(2025, 4, 1, 12, 0, 0, vladivostok),
            new FixedCall(0, "Answered", Wait: 5, Talk: 30), new FixedCall(10, "Abandoned", EndedAfter: 40));

        var first = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/metrics?from=2025-04-01&to=2025-04-01", Ct);
        Assert.Equal(1, first.GetProperty("offered").GetInt32());
        Assert.Equal(1, first.GetProperty("answered").GetInt32());
        Assert.Equal(0, first.GetProperty("abandoned").GetInt32());
        Near(0, first.GetProperty("serviceLevel"), "SL of the first day");
        Near(25, first.GetProperty("averageSpeedOfAnswerSeconds"), "ASA of the first day");
        Assert.Equal("Asia/Vladivostok", first.GetProperty("timeZone").GetString());
        Assert.Equal(23, first.GetProperty("byHour").EnumerateArray().Single().GetProperty("hour").GetInt32());
        // Owners get their own figures, not the pool's.
        Assert.Equal(JsonValueKind.Null, first.GetProperty("byOperator").ValueKind);

        var second = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/metrics?from=2025-04-02&to=2025-04-02", Ct);
        Assert.Equal(1, second.GetProperty("offered").GetInt32());
        Near(1, second.GetProperty("serviceLevel"), "SL of the second day");
        Assert.Equal(0, second.GetProperty("byHour").EnumerateArray().Single().GetProperty("hour").GetInt32());

        // A date-time with an offset works too: both days.
        var both = await business.Owner.GetFromJsonAsync<JsonElement>(
            $"/api/businesses/{business.Id}/metrics?from=2025-04-01T00:00:00%2B10:00&to=2025-04-03T00:00:00%2B10:00", Ct);
        Assert.Equal(2, both.GetProperty("answered").GetInt32());
        Near(0.5, both.GetProperty("serviceLevel"), "SL of both days");

        // Another owner's business answers 404, exactly like a missing one.
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.GetAsync($"/api/businesses/{business.Id}/metrics", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await business.Owner.GetAsync($"/api/businesses/{Guid.NewGuid()}/metrics", Ct)).StatusCode);
        // Owners and operators do not get the pool's report.
        Assert.Equal(HttpStatusCode.Forbidden, (await business.Owner.GetAsync("/api/admin/metrics", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2025-13-01", "to")]
    [InlineData("from=2025-03-10T10:00:00", "from")]
    [InlineData("from=2025-03-11&to=2025-03-10", "from")]
    [InlineData("from=2025-01-01&to=2025-12-31", "to")]
    public async Task ABadPeriodIsRefusedNamingTheField(string query, string field)
    {
        var admin = await app.AdminAsync();
        var response = await admin.GetAsync($"/api/admin/metrics?{query}", Ct);
        var errors = await response.AssertValidationProblemAsync();
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public async Task TheReportsAreDocumentedInOpenApi()
    {
        var document = await app.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/admin/metrics", "/api/admin/metrics.csv", "/api/admin/wallboard", "/api/businesses/{id}/metrics" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        var report = document.GetProperty("components").GetProperty("schemas").GetProperty("MetricsReport").GetProperty("properties");
        foreach (var name in new[] { "offered", "answered", "abandoned", "shortAbandoned", "overflowed", "serviceLevel",
                     "averageSpeedOfAnswerSeconds", "abandonmentRate", "averageHandleTimeSeconds" })
            Assert.True(report.TryGetProperty(name, out _), $"MetricsReport has no {name}");
    }

    [Fact]
    public async Task OperatorStatesAreRecordedAsTheCallFlowsAndGiveOccupancy()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var start = app.Clock.GetUtcNow();
        var (operatorClient, email) = await app.NewOperatorAsync("Ольга Occupancy");
        var operatorId = await app.ScalarAsync<Guid>("SELECT id FROM users WHERE email = $1", email);
        (await operatorClient.PutAsJsonAsync("/api/console/presence", new { state = "available" }, Ct)).EnsureSuccessStatusCode();

        app.Clock.Advance(TimeSpan.FromSeconds(100));
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, "+79165550199", business.Line)).EnsureSuccessStatusCode();
        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}", "CAleg", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromSeconds(60));
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        (await operatorClient.PostAsJsonAsync($"/api/console/calls/{callId}/summary", new
        {
            outcome = "message_taken",
            fields = new Dictionary<string, string>
            {
                ["caller_name"] = "Ольга", ["callback_number"] = "8 (916) 555-12-34", ["reason"] = "Запись", ["urgency"] = "Срочно",
            },
        }, Ct)).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromSeconds(20));

        var spans = await app.ScalarAsync<string>("""
            SELECT string_agg(state || ':' || COALESCE(EXTRACT(EPOCH FROM ended_at - started_at)::int::text, 'open'), ' ' ORDER BY id)
            FROM operator_state_intervals WHERE operator_id = $1
            """, operatorId);
        // The operator's presence row is made (offline) when the admin creates them, with their languages.
        Assert.Equal("Offline:0 Available:100 Busy:60 WrapUp:20 Available:open", spans);

        var admin = await app.AdminAsync();
        var from = Uri.EscapeDataString(start.ToString("O"));
        var to = Uri.EscapeDataString(app.Clock.GetUtcNow().ToString("O"));
        var report = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/metrics?from={from}&to={to}", Ct);
        var olga = report.GetProperty("byOperator").EnumerateArray().Single(o => o.GetProperty("operatorId").GetGuid() == operatorId);
        // Available 100 + 20, talk 60, wrap-up 20: occupancy = 80 / 200.
        Near(120, olga.GetProperty("availableSeconds"), "available");
        Near(60, olga.GetProperty("talkSeconds"), "talk");
        Near(20, olga.GetProperty("wrapUpSeconds"), "wrap-up");
        Near(0.4, olga.GetProperty("occupancy"), "occupancy");
        Near(80, olga.GetProperty("averageHandleTimeSeconds"), "AHT");
        Assert.Equal(1, report.GetProperty("answered").GetInt32());
        Near(0, report.GetProperty("averageSpeedOfAnswerSeconds"), "ASA");
    }

    [Fact]
    public async Task TheWallboardShowsTheQueueTheOperatorsAndAnAlertWhenTheRecentServiceLevelIsUnderTarget()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        // An hour on: the last 30 minutes hold only this test's calls.
        app.Clock.Advance(TimeSpan.FromHours(1));
        var now = app.Clock.GetUtcNow();
        // The last 30 minutes: one answered in 10 s, two abandoned after 40 s: SL 1/3, under the 80 % target.
        await InsertAsync(business.Id, now.AddMinutes(-10),
            new FixedCall(0, "Answered", Wait: 10, Talk: 30), new FixedCall(1, "Abandoned", EndedAfter: 40),
            new FixedCall(2, "Abandoned", EndedAfter: 40));
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, "+79165550177", business.Line)).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromSeconds(7));
        var operatorClient = await app.AvailableOperatorAsync("Вера Wallboard");

        var admin = await app.AdminAsync();
        var board = await admin.GetFromJsonAsync<JsonElement>("/api/admin/wallboard", Ct);
        Assert.Equal(1, board.GetProperty("waiting").GetInt32());
        Assert.Equal(7, board.GetProperty("longestWaitSeconds").GetInt32());
        Assert.Contains(board.GetProperty("operators").EnumerateArray(),
            o => o.GetProperty("name").GetString() == "Вера Wallboard" && o.GetProperty("state").GetString() == "available");
        Near(1.0 / 3, board.GetProperty("recent").GetProperty("serviceLevel"), "recent SL");
        Assert.True(board.GetProperty("serviceLevelAlert").GetBoolean());
        Assert.True(board.GetProperty("today").GetProperty("offered").GetInt32() >= 1);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("/api/admin/wallboard", Ct)).StatusCode);
    }
}
