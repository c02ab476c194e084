using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Calls;

public sealed class CallsTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const string Caller = "+79161112233";

    static string NewSid() => $"CA{Guid.NewGuid():N}";

    static async Task<XElement> TwiMLAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        return XDocument.Parse(body).Root!;
    }

    Task<string?> StatusOf(string sid) => app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", sid);
    Task<string?> OutcomeOf(string sid) => app.ScalarAsync<string>("SELECT outcome FROM calls WHERE provider_call_id = $1", sid);
    Task<Guid> IdOf(string sid) => app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);

    /// <summary>The only call in the queue, to a new live business, with a new available operator.</summary>
    async Task<(LiveBusiness Business, string Sid, Guid CallId, HttpClient Operator)> LoneWaitingCallAsync()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var sid = NewSid();
        (await app.IncomingCallAsync(sid, Caller, business.Line)).EnsureSuccessStatusCode();
        return (business, sid, await IdOf(sid), await app.AvailableOperatorAsync());
    }

    /// <summary>As <see cref="LoneWaitingCallAsync"/>, taken by the operator.</summary>
    async Task<(LiveBusiness Business, string Sid, Guid CallId, HttpClient Operator)> ClaimedCallAsync()
    {
        var call = await LoneWaitingCallAsync();
        (await call.Operator.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        return call;
    }

    [Fact]
    public async Task UnsignedIncomingCallIsRefusedAndRecordsNothing()
    {
        var business = await app.NewBusinessAsync();
        var sid = NewSid();
        var unsigned = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["CallSid"] = sid, ["AccountSid"] = TelephonyApp.AccountSid, ["From"] = Caller, ["To"] = business.Line,
            ["CallStatus"] = "ringing", ["Direction"] = "inbound",
        });

        var response = await app.CreateClient().PostAsync("/telephony/twilio/voice", unsigned, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await StatusOf(sid));
    }

    [Fact]
    public async Task ACallToALiveBusinessIsQueuedWithRingbackNotAnAnnouncement()
    {
        var business = await app.NewBusinessAsync();
        var sid = NewSid();

        var twiml = await TwiMLAsync(await app.IncomingCallAsync(sid, Caller, business.Line));

        var enqueue = Assert.Single(twiml.Elements());
        Assert.Equal("Enqueue", enqueue.Name.LocalName);
        Assert.Equal("receptionist", enqueue.Value);
        Assert.Equal("Waiting", await StatusOf(sid));
        var waitUrl = new Uri(enqueue.Attribute("waitUrl")!.Value);
        var wait = await TwiMLAsync(await app.CallbackAsync(waitUrl.PathAndQuery, sid, ("QueueTime", "3")));
        var play = Assert.Single(wait.Elements());
        Assert.Equal("Play", play.Name.LocalName);
        Assert.EndsWith("/audio/ringback.wav", play.Value);
        Assert.DoesNotContain(twiml.Descendants(), e => e.Name.LocalName == "Say");
    }

    [Fact]
    public async Task ARetriedIncomingWebhookRecordsOneCallAndAnswersTheSame()
    {
        var business = await app.NewBusinessAsync();
        var sid = NewSid();

        var first = await TwiMLAsync(await app.IncomingCallAsync(sid, Caller, business.Line));
        var second = await TwiMLAsync(await app.IncomingCallAsync(sid, Caller, business.Line));

        Assert.Equal(first.ToString(), second.ToString());
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM calls WHERE provider_call_id = $1", sid));
    }

    [Fact]
    public async Task ACallToABusinessThatIsNotLiveGoesToVoicemailAndTheOwnerIsTold()
    {
        var business = await app.NewBusinessAsync(live: false);
        var sid = NewSid();

        var twiml = await TwiMLAsync(await app.IncomingCallAsync(sid, Caller, business.Line));

        Assert.Equal(["Say", "Record", "Hangup"], twiml.Elements().Select(e => e.Name.LocalName));
        Assert.Contains("Автосервис «Мотор»", twiml.Element("Say")!.Value);
        var recordAction = new Uri(twiml.Element("Record")!.Attribute("action")!.Value);
        await TwiMLAsync(await app.CallbackAsync(recordAction.PathAndQuery, sid, ("RecordingUrl", "https://api.twilio.com/rec/RE1")));
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        Assert.Equal("NotLive", await OutcomeOf(sid));
        Assert.Equal(1L, await app.EmailsToAsync(business));
        Assert.Equal(1L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE payload::text LIKE '%rec/RE1%'"));
    }

    [Fact]
    public async Task ACanceledSubscriptionSendsCallsToTheBackupNumber()
    {
        var business = await app.NewBusinessAsync(profile: new
        {
            name = "Ветклиника", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            summaryEmails = new[] { "vet@example.com" }, backupNumber = "+79035556677", fallback = "backupNumber",
        });
        await app.ScalarAsync<object>("UPDATE subscriptions SET status = 'Canceled' WHERE business_id = $1", business.Id);

        var twiml = await TwiMLAsync(await app.IncomingCallAsync(NewSid(), Caller, business.Line));

        var dial = Assert.Single(twiml.Elements());
        Assert.Equal("Dial", dial.Name.LocalName);
        Assert.Equal("+79035556677", dial.Element("Number")!.Value);
    }

    [Fact]
    public async Task ACallToAnUnknownLineIsRejectedAndRecordsNothing()
    {
        var sid = NewSid();
        var twiml = await TwiMLAsync(await app.IncomingCallAsync(sid, Caller, "+74959999999"));
        Assert.Equal("Reject", Assert.Single(twiml.Elements()).Name.LocalName);
        Assert.Null(await StatusOf(sid));
    }

    [Fact]
    public async Task AnOperatorTakesTheOldestCallAndIsBridgedToTheCaller()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var older = NewSid();
        var newer = NewSid();
        await app.IncomingCallAsync(older, Caller, business.Line);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await app.IncomingCallAsync(newer, "+79162223344", business.Line);
        var operatorClient = await app.AvailableOperatorAsync();

        var claim = await operatorClient.PostAsync("/api/console/calls/next", null, Ct);

        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        var claimed = await claim.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(await IdOf(older), claimed.GetProperty("callId").GetGuid());
        Assert.Equal("Автосервис «Мотор»", claimed.GetProperty("businessName").GetString());
        Assert.Contains("Автосервис «Мотор»", claimed.GetProperty("scenario").GetProperty("greeting").GetString());
        Assert.Equal("Claimed", await StatusOf(older));
        // The call keeps the scenario version it was answered with, whatever the owner saves later.
        var answeredWith = await app.ScalarAsync<Guid>("SELECT scenario_version_id FROM calls WHERE provider_call_id = $1", older);
        Assert.Equal(await app.ScalarAsync<Guid>("SELECT scenario_version_id FROM businesses WHERE id = $1", business.Id), answeredWith);
        (await business.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/scenario", new { builtIn = "order-intake" }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(answeredWith, await app.ScalarAsync<Guid>("SELECT scenario_version_id FROM calls WHERE provider_call_id = $1", older));
        var redirect = Assert.Single(app.Twilio.Requests, r => r.Path.EndsWith($"/Calls/{older}.json"));
        var bridgeUrl = new Uri(redirect.Form["Url"]);
        Assert.Equal("/telephony/twilio/bridge", bridgeUrl.AbsolutePath);

        var bridge = await TwiMLAsync(await app.CallbackAsync(bridgeUrl.PathAndQuery, older));
        var client = bridge.Element("Dial")!.Element("Client")!;
        Assert.StartsWith("operator-", client.Value);
        Assert.Equal("true", bridge.Element("Dial")!.Attribute("answerOnBridge")!.Value);

        app.Clock.Advance(TimeSpan.FromSeconds(5));
        var legUrl = new Uri(client.Attribute("statusCallback")!.Value);
        (await app.CallbackAsync(legUrl.PathAndQuery, "CAoperatorleg", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        Assert.Equal("Answered", await StatusOf(older));
        (await app.CallbackAsync("/telephony/twilio/status", older, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        Assert.Equal("Answered", await OutcomeOf(older));
        Assert.Equal("Waiting", await StatusOf(newer));
        var presence = await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct);
        Assert.Equal("wrapUp", presence.GetProperty("state").GetString());
    }

    [Theory]
    [InlineData(29, true)]
    [InlineData(30, true)]
    [InlineData(31, false)]
    public async Task OnlyACallAnsweredWithinThirtySecondsIsBillable(int waitSeconds, bool billable)
    {
        var (_, _, callId, _) = await ClaimedCallAsync();

        app.Clock.Advance(TimeSpan.FromSeconds(waitSeconds));
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}", "CAleg", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        // A repeated report must not move the answer time.
        app.Clock.Advance(TimeSpan.FromSeconds(10));
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}", "CAleg", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();

        Assert.Equal(billable, await app.ScalarAsync<bool>("SELECT billable FROM calls WHERE id = $1", callId));
        Assert.Equal((double)waitSeconds, await app.ScalarAsync<double>(
            "SELECT extract(epoch FROM answered_at - received_at)::float8 FROM calls WHERE id = $1", callId));
    }

    [Fact]
    public async Task AfterTheOverflowTimeTheCallerLeavesTheQueueForVoicemailAndTheOwnerIsTold()
    {
        var business = await app.NewBusinessAsync();
        var sid = NewSid();
        await app.IncomingCallAsync(sid, Caller, business.Line);
        var callId = await IdOf(sid);

        app.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("Play", (await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/wait?call={callId}", sid))).Elements().Single().Name.LocalName);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Leave", (await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/wait?call={callId}", sid))).Elements().Single().Name.LocalName);

        var fallback = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/queue-result?call={callId}", sid, ("QueueResult", "leave")));
        Assert.Equal(["Say", "Record", "Hangup"], fallback.Elements().Select(e => e.Name.LocalName));
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        Assert.Equal("Overflowed", await OutcomeOf(sid));
        Assert.Equal(1L, await app.EmailsToAsync(business));
    }

    [Fact]
    public async Task ACallerWhoHangsUpWhileWaitingIsAMissedCallTheOwnerHearsAbout()
    {
        var business = await app.NewBusinessAsync();
        var sid = NewSid();
        await app.IncomingCallAsync(sid, Caller, business.Line);
        app.Clock.Advance(TimeSpan.FromSeconds(12));

        var left = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/queue-result?call={await IdOf(sid)}", sid, ("QueueResult", "hangup")));
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        Assert.Empty(left.Elements());
        Assert.Equal("Abandoned", await OutcomeOf(sid));
        Assert.Equal("Ended", await StatusOf(sid));
        Assert.Equal(1L, await app.EmailsToAsync(business));
    }

    [Fact]
    public async Task AnOperatorWhoDoesNotPickUpSendsTheCallBackToTheQueue()
    {
        var (_, sid, callId, operatorClient) = await ClaimedCallAsync();

        var again = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/dial-result?call={callId}", sid, ("DialCallStatus", "no-answer")));

        Assert.Equal("Enqueue", again.Elements().Single().Name.LocalName);
        Assert.Equal("Waiting", await StatusOf(sid));
        // A miss counts (two in a row set the operator away); one leaves them available.
        var presence = await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct);
        Assert.Equal("available", presence.GetProperty("state").GetString());
        Assert.Equal(1, presence.GetProperty("missedOffers").GetInt32());
    }

    [Fact]
    public async Task WhenTheProviderCannotBridgeTheCallerTheCallWaitsAgainAndTheOperatorIsFree()
    {
        var (_, sid, _, operatorClient) = await LoneWaitingCallAsync();
        app.Twilio.FailNext(HttpStatusCode.InternalServerError);

        var claim = await operatorClient.PostAsync("/api/console/calls/next", null, Ct);

        await claim.AssertProblemAsync(HttpStatusCode.BadGateway);
        Assert.Equal("Waiting", await StatusOf(sid));
        Assert.Equal("available", (await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task AClaimThatWasNeverBridgedReturnsTheCallerToTheQueue()
    {
        var (_, sid, callId, operatorClient) = await LoneWaitingCallAsync();
        // Known by its own email: presence rows of other tests can share a time on the test clock.
        var operatorEmail = (await operatorClient.GetFromJsonAsync<JsonElement>("/api/auth/manage/info", Ct)).GetProperty("email").GetString();
        // The instance that claimed it died before redirecting the caller: the claim is recorded, nothing more.
        await app.ScalarAsync<object>("""
            UPDATE calls SET status = 'Claimed', claimed_at = $2, operator_id = (SELECT id FROM users WHERE email = $3)
            WHERE id = $1
            """, callId, app.Clock.GetUtcNow(), operatorEmail);

        app.Clock.Advance(TimeSpan.FromSeconds(10));
        await app.CallbackAsync($"/telephony/twilio/wait?call={callId}", sid);
        Assert.Equal("Claimed", await StatusOf(sid));
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var wait = await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/wait?call={callId}", sid));

        Assert.Equal("Play", wait.Elements().Single().Name.LocalName);
        Assert.Equal("Waiting", await StatusOf(sid));
        var claimed = await (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(callId, claimed.GetProperty("callId").GetGuid());
    }

    [Fact]
    public async Task ACallerWhoHangsUpWhileBeingPutThroughFreesTheOperatorAndIsAMissedCall()
    {
        var (business, sid, _, operatorClient) = await ClaimedCallAsync();

        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        Assert.Equal("Abandoned", await OutcomeOf(sid));
        Assert.Equal(1L, await app.EmailsToAsync(business));
        Assert.Equal("available", (await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task AnOperatorMustBeAvailableToTakeCalls()
    {
        var (operatorClient, _) = await app.NewOperatorAsync();
        await (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).AssertProblemAsync(HttpStatusCode.Conflict);
        var owner = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.PostAsync("/api/console/calls/next", null, Ct)).StatusCode);
        var bad = await operatorClient.PutAsJsonAsync("/api/console/presence", new { state = "sleeping" }, Ct);
        Assert.Contains("state", (await bad.AssertValidationProblemAsync()).Keys);

        // During a call presence is the call's to decide.
        var onCall = (await ClaimedCallAsync()).Operator;
        await (await onCall.PutAsJsonAsync("/api/console/presence", new { state = "offline" }, Ct)).AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task OwnersPageAndFilterTheirOwnCallLogOnly()
    {
        var business = await app.NewBusinessAsync(live: false);
        var sids = Enumerable.Range(0, 5).Select(_ => NewSid()).ToList();
        foreach (var sid in sids)
        {
            await app.IncomingCallAsync(sid, Caller, business.Line);
            app.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        (await app.CallbackAsync("/telephony/twilio/status", sids[0], ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        var page = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/calls?page=2&pageSize=2", Ct);
        Assert.Equal(5, page.GetProperty("total").GetInt32());
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
        var filtered = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/calls?outcome=notLive&page=1", Ct);
        Assert.Equal(5, filtered.GetProperty("total").GetInt32());
        var newest = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/calls?pageSize=1", Ct);
        Assert.Equal(Caller, newest.GetProperty("items")[0].GetProperty("callerNumber").GetString());
        var one = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/calls/{await IdOf(sids[0])}", Ct);
        Assert.Equal("notLive", one.GetProperty("outcome").GetString());

        var stranger = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{business.Id}/calls", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{business.Id}/calls/{await IdOf(sids[0])}", Ct)).StatusCode);
        var bad = await business.Owner.GetAsync($"/api/businesses/{business.Id}/calls?outcome=lost&pageSize=1000", Ct);
        var errors = await bad.AssertValidationProblemAsync();
        Assert.Contains("outcome", errors.Keys);
        Assert.Contains("pageSize", errors.Keys);
    }
}
