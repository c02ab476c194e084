using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Transfers;

/// <summary>
/// Warm and cold transfers to the owner through Twilio's conference, played by the fake: the caller holds, the owner's
/// leg hears the whisper, a keypress decides; every outcome is checked on the call's record and the operator's state.
/// </summary>
public sealed class TransferTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const string Caller = "+79161234567";

    sealed record Talking(LiveBusiness Business, string Sid, Guid CallId, HttpClient Operator, string OwnerNumber);

    static async Task<XElement> TwiMLAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return XDocument.Parse(body).Root!;
    }

    /// <summary>A caller talking to an operator, for a business taking transfers all day.</summary>
    async Task<Talking> TalkingAsync(bool allowCold = false, string from = "00:00", string until = "23:59")
    {
        var business = await app.NewBusinessAsync();
        var ownerNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}";
        (await business.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/transfer",
            new { transferNumber = ownerNumber, from, until, allowCold }, Ct)).EnsureSuccessStatusCode();
        await app.ClearQueueAsync();
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, Caller, business.Line)).EnsureSuccessStatusCode();
        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        var operatorClient = await app.AvailableOperatorAsync();
        (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}", sid, ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        return new Talking(business, sid, callId, operatorClient, ownerNumber);
    }

    Task<HttpResponseMessage> TransferAsync(Talking call, string mode, string? reason = "запись на ТО") =>
        call.Operator.PostAsJsonAsync($"/api/console/calls/{call.CallId}/transfer", new { mode, reason }, Ct);

    bool Redirected(Talking call, string path) => app.Twilio.Requests.Any(r => r.Method == "POST"
        && r.Path.EndsWith($"/Calls/{call.Sid}.json", StringComparison.Ordinal)
        && r.Form.GetValueOrDefault("Url", "").Contains($"{path}?call={call.CallId}", StringComparison.Ordinal));

    Task<string?> TransferStateOf(Talking call) => app.ScalarAsync<string>("SELECT state FROM call_transfers WHERE call_id = $1", call.CallId);
    Task<string?> OwnerLegOf(Talking call) => app.ScalarAsync<string>("SELECT owner_call_id FROM call_transfers WHERE call_id = $1", call.CallId);

    static async Task<string?> PresenceOf(HttpClient operatorClient) =>
        (await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct)).GetProperty("state").GetString();

    /// <summary>Starts a warm transfer and checks what Twilio was asked: the caller to the conference, the owner rung.</summary>
    async Task<string> WarmTransferRingingAsync(Talking call)
    {
        var started = await TransferAsync(call, "warm");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.True(Redirected(call, "/transfer/hold"), "the caller was moved to the conference");
        var ownerLeg = await OwnerLegOf(call);
        Assert.NotNull(ownerLeg);
        var placed = app.Twilio.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith("/Calls.json", StringComparison.Ordinal)
            && r.Form.GetValueOrDefault("To") == call.OwnerNumber);
        Assert.Equal(call.Business.Line, placed.Form["From"]);
        Assert.Contains($"/transfer/whisper?call={call.CallId}", placed.Form["Url"]);

        var hold = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/transfer/hold?call={call.CallId}", call.Sid));
        var conference = hold.Element("Dial")!.Element("Conference")!;
        Assert.Equal("false", conference.Attribute("startConferenceOnEnter")!.Value);
        Assert.Equal("false", conference.Attribute("endConferenceOnExit")!.Value);
        Assert.Equal("Ringing", await TransferStateOf(call));
        Assert.Equal("busy", await PresenceOf(call.Operator));
        return ownerLeg!;
    }

    async Task<XElement> WhisperAsync(Talking call, string ownerLeg) =>
        await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/transfer/whisper?call={call.CallId}", ownerLeg));

    async Task<XElement> OwnerPressesAsync(Talking call, string ownerLeg, string digits) =>
        await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/transfer/owner-key?call={call.CallId}", ownerLeg, ("Digits", digits)));

    [Fact]
    public async Task TheOwnerWhoPressesOneTakesTheCallerAndTheOperatorIsFree()
    {
        var call = await TalkingAsync();
        var ownerLeg = await WarmTransferRingingAsync(call);

        var whisper = await WhisperAsync(call, ownerLeg);
        var said = whisper.Element("Gather")!.Element("Say")!.Value;
        Assert.Contains("«Автосервис «Мотор»»", said);
        Assert.Contains(Caller, said);
        Assert.Contains("запись на ТО", said);
        Assert.Contains("нажмите 1", said, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Hangup", whisper.Elements().Last().Name.LocalName);

        var joined = await OwnerPressesAsync(call, ownerLeg, "1");
        var conference = joined.Element("Dial")!.Element("Conference")!;
        Assert.Equal("true", conference.Attribute("startConferenceOnEnter")!.Value);
        Assert.Equal("true", conference.Attribute("endConferenceOnExit")!.Value);
        Assert.Equal("Connected", await TransferStateOf(call));
        Assert.Equal("wrapUp", await PresenceOf(call.Operator));

        // The operator moves on; the caller and owner talking, then hanging up, do not move the operator again.
        (await call.Operator.PutAsJsonAsync("/api/console/presence", new { state = "available" }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal("Hangup", (await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/transfer/hold-ended?call={call.CallId}", call.Sid)))
            .Elements().Single().Name.LocalName);
        (await app.CallbackAsync("/telephony/twilio/status", call.Sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        Assert.Equal("Answered", await app.ScalarAsync<string>("SELECT outcome FROM calls WHERE id = $1", call.CallId));
        Assert.Equal("available", await PresenceOf(call.Operator));
        Assert.Equal("Connected", await TransferStateOf(call));

        // The owner reads the outcome in the call log and in the summary email.
        var logged = await call.Business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{call.Business.Id}/calls/{call.CallId}", Ct);
        Assert.Equal("connected", logged.GetProperty("transfer").GetProperty("state").GetString());
        Assert.Equal("warm", logged.GetProperty("transfer").GetProperty("mode").GetString());
        Assert.True(logged.GetProperty("billable").GetBoolean());
        (await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.CallId}/summary", new
        {
            outcome = "message_taken",
            fields = new Dictionary<string, string>
            {
                ["caller_name"] = "Ольга", ["callback_number"] = "8 (916) 555-12-34", ["reason"] = "ТО", ["urgency"] = "Срочно",
            },
        }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(1L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE payload::text LIKE '%' || $1 || '%' AND payload::text LIKE '%Перевод на вас: соединили%'",
            call.Business.SummaryEmail));
    }

    [Theory]
    [InlineData("declined")]
    [InlineData("no-answer")]
    [InlineData("voicemail")]
    public async Task WhenTheOwnerDoesNotTakeTheCallerTheOperatorHasThemBack(string how)
    {
        var call = await TalkingAsync();
        var ownerLeg = await WarmTransferRingingAsync(call);

        switch (how)
        {
            case "declined":
                await WhisperAsync(call, ownerLeg);
                Assert.Equal("Hangup", (await OwnerPressesAsync(call, ownerLeg, "2")).Elements().Single().Name.LocalName);
                break;
            case "no-answer":
                (await app.CallbackAsync("/telephony/twilio/status", ownerLeg, ("CallStatus", "no-answer"))).EnsureSuccessStatusCode();
                break;
            default:
                // Voicemail answers, hears the whisper, presses nothing: the leg ends without a key.
                await WhisperAsync(call, ownerLeg);
                (await app.CallbackAsync("/telephony/twilio/status", ownerLeg, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
                break;
        }

        Assert.Equal(how == "declined" ? "Declined" : "NoAnswer", await TransferStateOf(call));
        Assert.True(Redirected(call, "/transfer/back"), "the caller was brought back");
        var back = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/transfer/back?call={call.CallId}", call.Sid));
        Assert.StartsWith("operator-", back.Element("Dial")!.Element("Client")!.Value);
        Assert.Equal("busy", await PresenceOf(call.Operator));
        Assert.Equal("Answered", await app.ScalarAsync<string>("SELECT status FROM calls WHERE id = $1", call.CallId));
        // A late repeat of the owner's report changes nothing.
        (await app.CallbackAsync("/telephony/twilio/status", ownerLeg, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        Assert.Equal(how == "declined" ? "Declined" : "NoAnswer", await TransferStateOf(call));
    }

    [Fact]
    public async Task HoldInEveryWarmTransferOfACallIsItsHoldTimeAndNotTalk()
    {
        var call = await TalkingAsync();
        var answeredAt = app.Clock.GetUtcNow();
        app.Clock.Advance(TimeSpan.FromSeconds(10));
        var firstLeg = await WarmTransferRingingAsync(call);
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        await WhisperAsync(call, firstLeg);
        await OwnerPressesAsync(call, firstLeg, "2");

        // The operator tries again 10 s later; the owner takes the caller after 5 s on hold.
        app.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Accepted, (await TransferAsync(call, "warm")).StatusCode);
        var secondLeg = await OwnerLegOf(call);
        Assert.NotEqual(firstLeg, secondLeg);
        app.Clock.Advance(TimeSpan.FromSeconds(5));
        await WhisperAsync(call, secondLeg!);
        await OwnerPressesAsync(call, secondLeg!, "1");
        app.Clock.Advance(TimeSpan.FromSeconds(100));
        (await app.CallbackAsync("/telephony/twilio/status", call.Sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        Assert.Equal(20.0, await app.ScalarAsync<double>("SELECT earlier_hold_seconds FROM call_transfers WHERE call_id = $1", call.CallId));

        // Hold 20 + 5; the operator's part ended when the owner took the caller, 45 s after the answer: talk 45 − 25.
        // No summary yet: no wrap-up.
        var from = Uri.EscapeDataString(answeredAt.AddMinutes(-1).ToString("O"));
        var to = Uri.EscapeDataString(app.Clock.GetUtcNow().AddSeconds(1).ToString("O"));
        var figures = await call.Business.Owner.GetFromJsonAsync<JsonElement>(
            $"/api/businesses/{call.Business.Id}/metrics?from={from}&to={to}", Ct);
        Assert.Equal(1, figures.GetProperty("handled").GetInt32());
        Assert.Equal(25, figures.GetProperty("averageHoldSeconds").GetDouble());
        Assert.Equal(20, figures.GetProperty("averageTalkSeconds").GetDouble());
        Assert.Equal(45, figures.GetProperty("averageHandleTimeSeconds").GetDouble());
        // The owner's call log says the same of the call.
        var logged = await call.Business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{call.Business.Id}/calls/{call.CallId}", Ct);
        Assert.Equal(25, logged.GetProperty("transfer").GetProperty("holdSeconds").GetInt32());
    }

    [Fact]
    public async Task ACallerWhoHangsUpOnHoldEndsTheOwnersRinging()
    {
        var call = await TalkingAsync();
        var ownerLeg = await WarmTransferRingingAsync(call);

        (await app.CallbackAsync("/telephony/twilio/status", call.Sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        Assert.Equal("CallerLeft", await TransferStateOf(call));
        Assert.Contains(app.Twilio.Requests, r => r.Method == "POST" && r.Path.EndsWith($"/Calls/{ownerLeg}.json", StringComparison.Ordinal)
            && r.Form.GetValueOrDefault("Status") == "completed");
        Assert.Equal("Ended", await app.ScalarAsync<string>("SELECT status FROM calls WHERE id = $1", call.CallId));
        Assert.Equal("wrapUp", await PresenceOf(call.Operator));
        // The owner presses 1 too late: there is no one to join.
        Assert.Equal("Hangup", (await OwnerPressesAsync(call, ownerLeg, "1")).Elements().Single().Name.LocalName);
    }

    [Fact]
    public async Task AColdTransferSendsTheCallerToTheOwnersNumberWhenTheBusinessAllowsIt()
    {
        var refused = await TalkingAsync(allowCold: false);
        await (await TransferAsync(refused, "cold")).AssertProblemAsync(HttpStatusCode.Conflict);

        var call = await TalkingAsync(allowCold: true);
        Assert.Equal(HttpStatusCode.Accepted, (await TransferAsync(call, "cold")).StatusCode);

        Assert.True(Redirected(call, "/transfer/cold"));
        Assert.Equal("wrapUp", await PresenceOf(call.Operator));
        var dial = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/transfer/cold?call={call.CallId}", call.Sid));
        Assert.Equal(call.OwnerNumber, dial.Element("Dial")!.Element("Number")!.Value);
        var ended = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/transfer/cold-result?call={call.CallId}", call.Sid,
            ("DialCallStatus", "no-answer")));
        Assert.Equal("Record", ended.Elements().ElementAt(1).Name.LocalName);
        Assert.Equal("NoAnswer", await TransferStateOf(call));
    }

    [Fact]
    public async Task TransfersAreRefusedOutsideTheirHoursOffACallAndToOtherOperators()
    {
        var now = app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(3));
        var closed = await TalkingAsync(from: now.AddHours(2).ToString("HH:00"), until: now.AddHours(3).ToString("HH:00"));
        await (await TransferAsync(closed, "warm")).AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Null(await TransferStateOf(closed));

        var call = await TalkingAsync();
        var stranger = await app.AvailableOperatorAsync("Чужой");
        await (await stranger.PostAsJsonAsync($"/api/console/calls/{call.CallId}/transfer", new { mode = "warm" }, Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("mode", (await (await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.CallId}/transfer",
            new { mode = "sideways" }, Ct)).AssertValidationProblemAsync()).Keys);
        Assert.Null(await TransferStateOf(call));
    }

    [Fact]
    public async Task TransferSettingsAreCheckedAndOnlyTheirOwnerSeesThem()
    {
        var business = await app.NewBusinessAsync();
        var errors = await (await business.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/transfer",
            new { transferNumber = "12", from = "9", until = "25:00" }, Ct)).AssertValidationProblemAsync();
        Assert.Equal(["from", "transferNumber", "until"], errors.Keys.Order());
        Assert.Equal(HttpStatusCode.NotFound, (await business.Owner.GetAsync($"/api/businesses/{business.Id}/transfer", Ct)).StatusCode);

        (await business.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/transfer",
            new { transferNumber = "8 916 555-44-33", from = "09:00", until = "18:00" }, Ct)).EnsureSuccessStatusCode();
        var saved = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/transfer", Ct);
        Assert.Equal("+79165554433", saved.GetProperty("transferNumber").GetString());

        var other = await app.NewBusinessAsync();
        await (await other.Owner.GetAsync($"/api/businesses/{business.Id}/transfer", Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await other.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/transfer",
            new { transferNumber = "+79165554433", from = "09:00", until = "18:00" }, Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
