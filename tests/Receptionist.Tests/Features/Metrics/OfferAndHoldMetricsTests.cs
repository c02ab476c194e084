using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Metrics;

/// <summary>
/// The two figures push routing and warm transfers add to the report: each operator's offer answer rate, from offers
/// made through the real call flow (webhooks, the console's decline, a claim by hand), and hold time in AHT, from
/// transfers written into the call record. Each is read reading the record directly and again from the rollup. This
/// class has a database of its own, so its rollup never covers another class's calls.
/// </summary>
public sealed class OfferAndHoldMetricsTests(RoutingApp app) : IClassFixture<RoutingApp>, IAsyncLifetime
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const int OfferSeconds = 15, CooldownSeconds = 5;

    public ValueTask InitializeAsync() => new(app.ResetAsync());
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    static void Near(double expected, JsonElement actual, string name) =>
        Assert.True(actual.ValueKind == JsonValueKind.Number && Math.Abs(actual.GetDouble() - expected) < 0.001,
            $"{name}: expected {expected}, got {actual}");

    static DateTimeOffset FloorHour(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);

    static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));

    async Task<JsonElement> AdminReportAsync(DateTimeOffset from, DateTimeOffset to) =>
        await (await app.AdminAsync()).GetFromJsonAsync<JsonElement>($"/api/admin/metrics?from={Iso(from)}&to={Iso(to)}", Ct);

    static JsonElement OperatorIn(JsonElement report, Guid operatorId) =>
        report.GetProperty("byOperator").EnumerateArray().Single(o => o.GetProperty("operatorId").GetGuid() == operatorId);

    async Task<Guid> CallAsync(LiveBusiness business, string sid)
    {
        var response = await app.IncomingCallAsync(sid, $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", business.Line);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
    }

    Task<Guid?> OfferedTo(Guid callId) =>
        app.ScalarAsync<Guid?>("SELECT operator_id FROM calls WHERE id = $1 AND status = 'Claimed'", callId);

    async Task CallbackAsync(string path, string sid, params (string, string)[] fields)
    {
        var response = await app.CallbackAsync(path, sid, fields);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task AnOperatorsOfferAnswerRateIsAnsweredOverOffersTheyCouldAnswerAndAClaimByHandIsNoOffer()
    {
        var business = await app.NewBusinessAsync();
        var email = $"operator-{Guid.NewGuid():N}@example.com";
        var created = await (await app.AdminAsync()).PostAsJsonAsync("/api/admin/staff", new
        {
            email, password = ReceptionistApp.OperatorPassword, displayName = "Ирина Offers", role = "operator",
        }, Ct);
        created.EnsureSuccessStatusCode();
        var irina = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var console = await app.SignInAsync(email, ReceptionistApp.OperatorPassword);
        async Task AvailableAsync() =>
            (await console.PutAsJsonAsync("/api/console/presence", new { state = "available" }, Ct)).EnsureSuccessStatusCode();
        var start = app.Clock.GetUtcNow();
        await AvailableAsync();

        // 1. Offered and picked up, then the caller hangs up: an answered offer.
        var answeredSid = $"CA{Guid.NewGuid():N}";
        var answered = await CallAsync(business, answeredSid);
        Assert.Equal(irina, await OfferedTo(answered));
        await CallbackAsync($"/telephony/twilio/operator-leg?call={answered}&operator={irina}", answeredSid, ("CallStatus", "in-progress"));
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        await CallbackAsync("/telephony/twilio/status", answeredSid, ("CallStatus", "completed"));
        await AvailableAsync();

        // 2. Offered and rang out: a miss. The caller then gives up waiting.
        var missedSid = $"CA{Guid.NewGuid():N}";
        var missed = await CallAsync(business, missedSid);
        Assert.Equal(irina, await OfferedTo(missed));
        app.Clock.Advance(TimeSpan.FromSeconds(OfferSeconds));
        await CallbackAsync($"/telephony/twilio/dial-result?call={missed}&operator={irina}", missedSid, ("DialCallStatus", "no-answer"));
        await CallbackAsync("/telephony/twilio/status", missedSid, ("CallStatus", "completed"));

        // 3. After the miss's pause, offered and declined in the console. The caller then gives up waiting.
        app.Clock.Advance(TimeSpan.FromSeconds(CooldownSeconds));
        var declinedSid = $"CA{Guid.NewGuid():N}";
        var declined = await CallAsync(business, declinedSid);
        Assert.Equal(irina, await OfferedTo(declined));
        (await console.PostAsync($"/api/console/calls/{declined}/decline", null, Ct)).EnsureSuccessStatusCode();
        await CallbackAsync("/telephony/twilio/status", declinedSid, ("CallStatus", "completed"));

        // 4. Within the decline's cooldown nothing is offered: she takes the waiting call by hand. Not an offer.
        var claimedSid = $"CA{Guid.NewGuid():N}";
        var claimed = await CallAsync(business, claimedSid);
        Assert.Null(await OfferedTo(claimed));
        (await console.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        await CallbackAsync($"/telephony/twilio/operator-leg?call={claimed}&operator={irina}", claimedSid, ("CallStatus", "in-progress"));
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        await CallbackAsync("/telephony/twilio/status", claimedSid, ("CallStatus", "completed"));
        await AvailableAsync();

        // 5. Offered, and the caller hangs up while it rings: withdrawn, neither her answer nor her miss.
        var withdrawnSid = $"CA{Guid.NewGuid():N}";
        var withdrawn = await CallAsync(business, withdrawnSid);
        Assert.Equal(irina, await OfferedTo(withdrawn));
        await CallbackAsync($"/telephony/twilio/dial-result?call={withdrawn}&operator={irina}", withdrawnSid,
            ("DialCallStatus", "no-answer"), ("CallStatus", "completed"));
        app.Clock.Advance(TimeSpan.FromSeconds(1));

        // By hand: 4 offers (1, 2, 3, 5); answered 1, missed 1, declined 1, withdrawn 1; rate = 1 / (1 + 1 + 1).
        void Expected(JsonElement report, string how)
        {
            var mine = OperatorIn(report, irina);
            Assert.Equal(4, mine.GetProperty("offers").GetInt32());
            Assert.Equal(1, mine.GetProperty("offersAnswered").GetInt32());
            Assert.Equal(1, mine.GetProperty("offersMissed").GetInt32());
            Assert.Equal(1, mine.GetProperty("offersDeclined").GetInt32());
            Assert.Equal(1, mine.GetProperty("offersWithdrawn").GetInt32());
            Near(0.3333, mine.GetProperty("offerAnswerRate"), $"offer answer rate {how}");
            // Calls 1 and 4 were hers.
            Assert.Equal(2, mine.GetProperty("answered").GetInt32());
        }
        var end = app.Clock.GetUtcNow();
        var direct = await AdminReportAsync(start.AddSeconds(-1), end);
        Expected(direct, "reading the record");
        var csv = await (await app.AdminAsync()).GetStringAsync($"/api/admin/metrics.csv?from={Iso(start.AddSeconds(-1))}&to={Iso(end)}", Ct);
        Assert.Contains(",4,1,1,1,1,0.3333", csv.Split('\n').Single(l => l.StartsWith("Ирина Offers,", StringComparison.Ordinal)));

        // Two hours on, the hours of the offers are closed and summed: the same figures come from the rollup alone,
        // even with the spans they were summed from gone.
        app.Clock.Advance(TimeSpan.FromHours(2));
        Assert.True(await Rollup.RefreshAsync(app));
        var (hoursFrom, hoursTo) = (FloorHour(start), FloorHour(app.Clock.GetUtcNow()));
        Expected(await AdminReportAsync(hoursFrom, hoursTo), "from the rollup");
        await app.ScalarAsync<object>("DELETE FROM operator_state_intervals WHERE operator_id = $1 AND ended_at < $2",
            irina, hoursTo.UtcDateTime);
        Expected(await AdminReportAsync(hoursFrom, hoursTo), "from the rollup without the spans");
        // An operator without offers has no rate.
        Assert.Equal(JsonValueKind.Null, OperatorIn(await AdminReportAsync(hoursTo.AddHours(-1), hoursTo.AddHours(1)), irina)
            .GetProperty("offerAnswerRate").ValueKind);
    }

    [Fact]
    public async Task TheOfferAndHoldFiguresAreDocumentedInOpenApi()
    {
        var document = await app.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var operatorFigures = schemas.GetProperty("OperatorFigures").GetProperty("properties");
        foreach (var name in new[] { "offers", "offersAnswered", "offersMissed", "offersDeclined", "offersWithdrawn", "offerAnswerRate",
                     "averageHoldSeconds" })
            Assert.True(operatorFigures.TryGetProperty(name, out _), $"OperatorFigures has no {name}");
        Assert.True(schemas.GetProperty("MetricsReport").GetProperty("properties").TryGetProperty("averageHoldSeconds", out _));
    }

    [Fact]
    public async Task HoldInWarmTransfersIsLeftOutOfTalkAndTheAhtPartsAddUp()
    {
        var business = await app.NewBusinessAsync(live: false);
        var (_, email) = await app.NewOperatorAsync("Борис Hold");
        var boris = await app.ScalarAsync<Guid>("SELECT id FROM users WHERE email = $1", email);
        // In the hour now open, which no rollup run has summed yet, so the first reports read the record.
        var baseTime = FloorHour(app.Clock.GetUtcNow()).AddMinutes(1);
        await FixedCall.InsertAsync(app, business.Id, baseTime,
            // A: answered at 10 s, over at 160 s, summary 20 s later.
            new FixedCall(0, "Answered", Wait: 10, Talk: 150, WrapUp: 20, Operator: boris),
            // B: answered at 605 s, the owner takes the caller at 660 s and they talk until 905 s; summary at 675 s.
            new FixedCall(600, "Answered", Wait: 5, Talk: 300, WrapUp: -230, Operator: boris),
            // C: answered at 1205 s, sent cold to the owner at 1265 s, over at 1505 s; summary at 1275 s.
            new FixedCall(1200, "Answered", Wait: 5, Talk: 300, WrapUp: -230, Operator: boris));
        var ids = (await app.ScalarAsync<Guid[]>(
            "SELECT array_agg(id ORDER BY received_at) FROM calls WHERE business_id = $1", business.Id))!;
        async Task TransferAsync(Guid callId, string mode, string state, double startedAfter, double? endedAfter, double earlierHold) =>
            await app.ScalarAsync<object>("""
                INSERT INTO call_transfers (call_id, mode, state, operator_id, started_at, ended_at, earlier_hold_seconds)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, callId, mode, state, boris, baseTime.AddSeconds(startedAfter).UtcDateTime,
                endedAfter is { } e ? baseTime.AddSeconds(e).UtcDateTime : (object)DBNull.Value, earlierHold);
        // A: a first warm transfer held the caller 10 s; the second, from 70 s, was declined at 100 s: hold 40,
        // talk 150 − 40 = 110, wrap-up 20.
        await TransferAsync(ids[0], "Warm", "Declined", 70, 100, 10);
        // B: warm from 645 s, connected at 660 s: hold 15, talk 645 − 605 = 40 (the owner's talk is not the
        // operator's), wrap-up 675 − 660 = 15.
        await TransferAsync(ids[1], "Warm", "Connected", 645, 660, 0);
        // C: cold at 1265 s (the operator is free at once), the owner answered at 1300 s: hold 0, talk 60,
        // wrap-up 1275 − 1265 = 10.
        await TransferAsync(ids[2], "Cold", "Connected", 1265, 1300, 0);

        // Per handled call: talk (110 + 40 + 60) / 3 = 70, hold (40 + 15) / 3 = 18.3, wrap-up (20 + 15 + 10) / 3 = 15;
        // AHT = 103.3.
        void Expected(JsonElement figures, string how)
        {
            Near(70, figures.GetProperty("averageTalkSeconds"), $"talk {how}");
            Near(18.3, figures.GetProperty("averageHoldSeconds"), $"hold {how}");
            Near(15, figures.GetProperty("averageWrapUpSeconds"), $"wrap-up {how}");
            Near(103.3, figures.GetProperty("averageHandleTimeSeconds"), $"AHT {how}");
        }
        var (from, to) = (FloorHour(baseTime), FloorHour(baseTime).AddHours(1));
        var direct = await AdminReportAsync(from, to);
        Assert.Equal(3, direct.GetProperty("handled").GetInt32());
        Expected(direct, "reading the record");
        Expected(OperatorIn(direct, boris), "of the operator reading the record");
        // The owner's figures look summaries up call by call: the same parts.
        Expected(await business.Owner.GetFromJsonAsync<JsonElement>(
            $"/api/businesses/{business.Id}/metrics?from={Iso(from)}&to={Iso(to)}", Ct), "of the owner");

        // Two hours on, that hour is closed and summed.
        app.Clock.Advance(TimeSpan.FromHours(2));
        Assert.True(await Rollup.RefreshAsync(app));
        // Proof that the hour is read from the rollup: the transfers are gone from the record, the figures are not.
        await app.ScalarAsync<object>("DELETE FROM call_transfers WHERE call_id = ANY($1)", ids);
        var rolled = await AdminReportAsync(from, to);
        Expected(rolled, "from the rollup");
        Expected(OperatorIn(rolled, boris), "of the operator from the rollup");
    }
}
