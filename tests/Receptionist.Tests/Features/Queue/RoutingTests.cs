using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Queue;

/// <summary>
/// Push routing: calls are offered to the longest-idle operator who speaks the business's language, offers ring out
/// and move on, misses set an operator away, declines cool down, wrap-up ends on its own. Time is the test's clock;
/// each test starts with nobody available and nothing waiting.
/// </summary>
public sealed class RoutingTests(RoutingApp app) : IClassFixture<RoutingApp>, IAsyncLifetime
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const int OfferSeconds = 15, ReportGraceSeconds = 3, CooldownSeconds = 5, WidenAfterSeconds = 15, WrapUpSeconds = 60;

    public ValueTask InitializeAsync() => new(app.ResetAsync());
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    sealed record Operator(Guid Id, HttpClient Client, string Email);

    /// <summary>A new operator speaking <paramref name="languages"/>, available from now (idle order follows creation:
    /// the clock moves a second after each).</summary>
    async Task<Operator> AvailableOperatorAsync(params string[] languages)
    {
        var email = $"operator-{Guid.NewGuid():N}@example.com";
        var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/admin/staff", new
        {
            email, password = ReceptionistApp.OperatorPassword, displayName = "Оператор", role = "operator",
            languages = languages.Length == 0 ? new[] { "ru-RU" } : languages,
        }, Ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var client = await app.SignInAsync(email, ReceptionistApp.OperatorPassword);
        (await client.PutAsJsonAsync("/api/console/presence", new { state = "available" }, Ct)).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        return new Operator(id, client, email);
    }

    static string NewSid() => $"CA{Guid.NewGuid():N}";

    async Task<(string Sid, XElement TwiML)> CallAsync(LiveBusiness business)
    {
        var sid = NewSid();
        return (sid, await TwiMLAsync(await app.IncomingCallAsync(sid, "+79161112233", business.Line)));
    }

    static async Task<XElement> TwiMLAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return XDocument.Parse(body).Root!;
    }

    /// <summary>The operator a TwiML answer rings, or null when it does something else (enqueues).</summary>
    static string? Rings(XElement twiml) => twiml.Element("Dial")?.Element("Client")?.Value;

    static string Identity(Operator o) => $"operator-{o.Id:N}";

    Task<Guid> IdOf(string sid) => app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
    Task<string?> StatusOf(string sid) => app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", sid);
    Task<Guid?> OfferedTo(string sid) => app.ScalarAsync<Guid?>(
        "SELECT operator_id FROM calls WHERE provider_call_id = $1 AND status = 'Claimed'", sid);

    static async Task<JsonElement> PresenceAsync(Operator o) =>
        await o.Client.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct);

    async Task<XElement> DialResultAsync(string sid, Guid callId, Operator o, string status) =>
        await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/dial-result?call={callId}&operator={o.Id}", sid,
            ("DialCallStatus", status)));

    async Task<XElement> BridgeFetchAsync(string sid, Guid callId) =>
        await TwiMLAsync(await app.CallbackAsync($"/telephony/twilio/bridge?call={callId}", sid));

    bool RedirectedToBridge(string sid, Guid callId) => app.Twilio.Requests.Any(r => r.Method == "POST"
        && r.Path.EndsWith($"/Calls/{sid}.json", StringComparison.Ordinal)
        && r.Form.GetValueOrDefault("Url", "").Contains($"bridge?call={callId}", StringComparison.Ordinal));

    /// <summary>Waits for something a routing pass woken by a change does on its own (no timing is asserted).</summary>
    static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 150; i++)
        {
            if (await condition())
                return;
            await Task.Delay(100, Ct);
        }
        Assert.Fail($"Never happened: {what}");
    }

    [Fact]
    public async Task AFreeOperatorIsRungStraightFromTheIncomingCall()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();

        var (sid, twiml) = await CallAsync(business);

        Assert.Equal(Identity(anna), Rings(twiml));
        Assert.Equal(OfferSeconds.ToString(), twiml.Element("Dial")!.Attribute("timeout")!.Value);
        Assert.Contains($"operator={anna.Id}", twiml.Element("Dial")!.Attribute("action")!.Value);
        Assert.Equal(anna.Id, await OfferedTo(sid));
        Assert.True(await app.ScalarAsync<bool>("SELECT bridged_at IS NOT NULL FROM calls WHERE provider_call_id = $1", sid));
        Assert.Equal("offered", (await PresenceAsync(anna)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task ARepeatedIncomingCallDialsTheSameOperatorAndOffersNobodyElse()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var boris = await AvailableOperatorAsync();
        var (sid, first) = await CallAsync(business);

        // Twilio retries the webhook (the first answer was lost on the way): the same call, the same operator.
        var repeats = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            await TwiMLAsync(await app.IncomingCallAsync(sid, "+79161112233", business.Line))));

        Assert.Equal(Identity(anna), Rings(first));
        Assert.All(repeats, twiml => Assert.Equal(Identity(anna), Rings(twiml)));
        Assert.Equal(1, await app.ScalarAsync<long>("SELECT count(*) FROM calls WHERE provider_call_id = $1", sid));
        Assert.Equal("available", (await PresenceAsync(boris)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task TheOperatorIdleLongestIsOfferedFirstAndNeverTwoCallsAtOnce()
    {
        var business = await app.NewBusinessAsync();
        var first = await AvailableOperatorAsync();
        var second = await AvailableOperatorAsync();
        var third = await AvailableOperatorAsync();

        var (one, _) = await CallAsync(business);
        var (two, _) = await CallAsync(business);
        var (three, _) = await CallAsync(business);
        var (sid, four) = await CallAsync(business);

        Assert.Equal(new Guid?[] { first.Id, second.Id, third.Id }, new[] { await OfferedTo(one), await OfferedTo(two), await OfferedTo(three) });
        Assert.Null(Rings(four));
        Assert.Equal("Enqueue", four.Elements().Single().Name.LocalName);
        Assert.Equal("Waiting", await StatusOf(sid));
    }

    [Fact]
    public async Task AnOfferIsRungOnceByWhicheverTakesItsRingFirst()
    {
        // Two may ring a call the router offered: the router, redirecting the caller, and the caller's own request
        // answered meanwhile, dialling the operator. Each takes the ring first; the one who finds it taken leaves it.
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var (takenByCaller, _) = await CallAsync(business);
        var (takenByRouter, _) = await CallAsync(business);
        var (waiting, _) = await CallAsync(business);
        await app.ScalarAsync<int>("""
            UPDATE calls SET status = 'Claimed', operator_id = $1, claimed_at = now(), bridged_at = NULL
            WHERE provider_call_id IN ($2, $3)
            """, anna.Id, takenByCaller, takenByRouter);
        await using var scope = app.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<Receptionist.Features.Queue.CallQueue>();

        Assert.Equal(anna.Id, await queue.TakeRingAsync(await IdOf(takenByCaller), null, Ct));
        Assert.Null(await queue.TakeRingAsync(await IdOf(takenByCaller), anna.Id, Ct));
        Assert.Equal(anna.Id, await queue.TakeRingAsync(await IdOf(takenByRouter), anna.Id, Ct));
        Assert.Null(await queue.TakeRingAsync(await IdOf(takenByRouter), null, Ct));
        Assert.Null(await queue.TakeRingAsync(await IdOf(waiting), null, Ct));
        Assert.True(await app.ScalarAsync<bool>(
            "SELECT bool_and(bridged_at IS NOT NULL) FROM calls WHERE provider_call_id IN ($1, $2)", takenByCaller, takenByRouter));
    }

    [Fact]
    public async Task TheRouterLeavesAnOfferTheCallersOwnRequestHasRungAlready()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var (sid, twiml) = await CallAsync(business);
        var callId = await IdOf(sid);
        Assert.Equal(Identity(anna), Rings(twiml));
        var router = app.Services.GetRequiredService<Receptionist.Features.Queue.CallRouter>();
        var offer = new Receptionist.Features.Queue.OfferedCallRow(callId, sid, anna.Id);

        // The webhook's answer dialled Anna: the router's ring of the same offer finds it taken and redirects nobody.
        await await router.StartRingAsync(offer, newOffer: true, Ct);
        Assert.False(RedirectedToBridge(sid, callId));

        // Not rung yet (as the router's own offer leaves it): the router takes the ring and redirects the caller.
        await app.ScalarAsync<int>("UPDATE calls SET bridged_at = NULL WHERE id = $1", callId);
        await await router.StartRingAsync(offer, newOffer: true, Ct);
        Assert.True(RedirectedToBridge(sid, callId));
        Assert.True(await app.ScalarAsync<bool>("SELECT bridged_at IS NOT NULL FROM calls WHERE id = $1", callId));
    }

    [Fact]
    public async Task AnOfferThatRingsOutGoesToTheNextOperatorAtOnceKeepingItsWait()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var boris = await AvailableOperatorAsync();
        var (sid, _) = await CallAsync(business);
        var callId = await IdOf(sid);
        var receivedAt = await app.ScalarAsync<DateTime>("SELECT received_at FROM calls WHERE id = $1", callId);
        app.Clock.Advance(TimeSpan.FromSeconds(OfferSeconds));

        var next = await DialResultAsync(sid, callId, anna, "no-answer");

        // Boris rings at once, and once: from this answer, or from the redirect of a router pass (woken by Anna's return)
        // that offered the call a moment before this request could.
        if (Rings(next) is null)
        {
            Assert.Equal("Enqueue", next.Elements().Single().Name.LocalName);
            await EventuallyAsync(() => Task.FromResult(RedirectedToBridge(sid, callId)), "the router's redirect to Boris");
        }
        else
        {
            Assert.Equal(Identity(boris), Rings(next));
            Assert.False(RedirectedToBridge(sid, callId));
        }
        Assert.Equal(boris.Id, await OfferedTo(sid));
        Assert.Equal(receivedAt, await app.ScalarAsync<DateTime>("SELECT received_at FROM calls WHERE id = $1", callId));
        var annaNow = await PresenceAsync(anna);
        Assert.Equal("available", annaNow.GetProperty("state").GetString());
        Assert.Equal(1, annaNow.GetProperty("missedOffers").GetInt32());

        // The same report again, or a late one about Anna's offer, does not move Boris's.
        var repeated = await DialResultAsync(sid, callId, anna, "no-answer");
        Assert.Equal(boris.Id, await OfferedTo(sid));
        Assert.Equal(1, (await PresenceAsync(anna)).GetProperty("missedOffers").GetInt32());
        Assert.Equal("offered", (await PresenceAsync(boris)).GetProperty("state").GetString());
        Assert.NotNull(repeated);
    }

    [Fact]
    public async Task TwoMissedOffersInARowSetTheOperatorAwayAndTheirConsoleIsToldWhy()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var events = await EventsAsync(anna.Client);
        var (sid, _) = await CallAsync(business);
        var callId = await IdOf(sid);
        // The stream may still bring the news that Anna became available (it travels through PostgreSQL) before the offer.
        JsonElement offered;
        do offered = await NextPresenceAsync(events);
        while (offered.GetProperty("state").GetString() == "available");
        Assert.Equal("offered", offered.GetProperty("state").GetString());

        app.Clock.Advance(TimeSpan.FromSeconds(OfferSeconds));
        var queued = await DialResultAsync(sid, callId, anna, "no-answer");
        // Nobody else, and the one who just missed it waits out the no-answer delay: the caller queues.
        Assert.Equal("Enqueue", queued.Elements().Single().Name.LocalName);
        Assert.Equal("available", (await NextPresenceAsync(events)).GetProperty("state").GetString());

        app.Clock.Advance(TimeSpan.FromSeconds(CooldownSeconds + 1));
        await app.RouteAsync();
        await EventuallyAsync(async () => await OfferedTo(sid) == anna.Id && RedirectedToBridge(sid, callId), "the call offered to Anna again");
        Assert.Equal(Identity(anna), Rings(await BridgeFetchAsync(sid, callId)));
        app.Clock.Advance(TimeSpan.FromSeconds(OfferSeconds));
        await DialResultAsync(sid, callId, anna, "no-answer");

        var presence = await PresenceAsync(anna);
        Assert.Equal("away", presence.GetProperty("state").GetString());
        Assert.Equal("missedOffers", presence.GetProperty("reason").GetString());
        Assert.Equal(2, presence.GetProperty("missedOffers").GetInt32());
        JsonElement away;
        do away = await NextPresenceAsync(events);
        while (away.GetProperty("state").GetString() != "away");
        Assert.Equal("missedOffers", away.GetProperty("reason").GetString());
        Assert.Equal("Waiting", await StatusOf(sid));
    }

    [Fact]
    public async Task AnOfferWhoseReportIsLostRunsOutOnOurClockAndMovesOn()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var boris = await AvailableOperatorAsync();
        var (sid, _) = await CallAsync(business);
        var callId = await IdOf(sid);

        app.Clock.Advance(TimeSpan.FromSeconds(OfferSeconds + ReportGraceSeconds));
        await app.RouteAsync();

        Assert.True(RedirectedToBridge(sid, callId));
        Assert.Equal(Identity(boris), Rings(await BridgeFetchAsync(sid, callId)));
        Assert.Equal(boris.Id, await OfferedTo(sid));
        Assert.Equal(1, (await PresenceAsync(anna)).GetProperty("missedOffers").GetInt32());
    }

    [Fact]
    public async Task DecliningSendsTheCallOnWithoutAMissAndCoolsTheOperatorDown()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var boris = await AvailableOperatorAsync();
        var (sid, _) = await CallAsync(business);
        var callId = await IdOf(sid);

        Assert.Equal(HttpStatusCode.NoContent, (await anna.Client.PostAsync($"/api/console/calls/{callId}/decline", null, Ct)).StatusCode);

        Assert.True(RedirectedToBridge(sid, callId));
        await BridgeFetchAsync(sid, callId);
        await EventuallyAsync(async () => await OfferedTo(sid) == boris.Id, "the declined call offered to Boris");
        var annaNow = await PresenceAsync(anna);
        Assert.Equal("available", annaNow.GetProperty("state").GetString());
        Assert.Equal(0, annaNow.GetProperty("missedOffers").GetInt32());
        await (await anna.Client.PostAsync($"/api/console/calls/{callId}/decline", null, Ct)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await boris.Client.PostAsync($"/api/console/calls/{Guid.NewGuid()}/decline", null, Ct)).AssertProblemAsync(HttpStatusCode.NotFound);

        // Within the cooldown the next caller waits rather than ringing Anna; after it, Anna is offered the call.
        var (waiting, queued) = await CallAsync(business);
        Assert.Null(Rings(queued));
        app.Clock.Advance(TimeSpan.FromSeconds(CooldownSeconds));
        await app.CallbackAsync($"/telephony/twilio/wait?call={await IdOf(waiting)}", waiting);
        await app.RouteAsync();
        await EventuallyAsync(async () => await OfferedTo(waiting) == anna.Id, "the waiting call offered to Anna after her cooldown");
    }

    [Fact]
    public async Task AnOperatorWhoBecomesFreeIsOfferedTheWaitingCallWithoutAskingForIt()
    {
        var business = await app.NewBusinessAsync();
        var (sid, queued) = await CallAsync(business);
        Assert.Equal("Enqueue", queued.Elements().Single().Name.LocalName);
        var callId = await IdOf(sid);

        var anna = await AvailableOperatorAsync();

        await EventuallyAsync(async () => await OfferedTo(sid) == anna.Id && RedirectedToBridge(sid, callId), "the waiting call offered to Anna");
        Assert.Equal(Identity(anna), Rings(await BridgeFetchAsync(sid, callId)));
        Assert.Equal("offered", (await PresenceAsync(anna)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task AnAnsweredOfferPutsTheOperatorOnTheCallAndWrapUpEndsOnItsOwn()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        await app.ScalarAsync<object>("UPDATE operator_presence SET missed_offers = 1 WHERE operator_id = $1", anna.Id);
        var (sid, _) = await CallAsync(business);
        var callId = await IdOf(sid);

        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}&operator={anna.Id}", sid, ("CallStatus", "in-progress")))
            .EnsureSuccessStatusCode();
        var onCall = await PresenceAsync(anna);
        Assert.Equal("busy", onCall.GetProperty("state").GetString());
        Assert.Equal(0, onCall.GetProperty("missedOffers").GetInt32());

        app.Clock.Advance(TimeSpan.FromSeconds(40));
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        Assert.Equal("wrapUp", (await PresenceAsync(anna)).GetProperty("state").GetString());
        app.Clock.Advance(TimeSpan.FromSeconds(WrapUpSeconds - 1));
        await app.RouteAsync();
        Assert.Equal("wrapUp", (await PresenceAsync(anna)).GetProperty("state").GetString());
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await app.RouteAsync();
        Assert.Equal("available", (await PresenceAsync(anna)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task CallsGoFirstToOperatorsWhoSpeakTheLanguageAndToAnyoneAfterTheWait()
    {
        var english = await app.NewBusinessAsync(profile: new
        {
            name = "Harbour Dental", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            language = "en-US", summaryEmails = new[] { $"owner-{Guid.NewGuid():N}@example.com" },
        });
        var russianOnly = await AvailableOperatorAsync("ru-RU");
        var bilingual = await AvailableOperatorAsync("ru-RU", "en-US");

        var (first, _) = await CallAsync(english);
        await EventuallyAsync(async () => await OfferedTo(first) == bilingual.Id, "the English call offered to the bilingual operator");

        // The one who speaks English is busy: the next English caller waits for the widening, not for the
        // Russian-speaking operator idle longer, who may still take it by hand.
        var (second, secondTwiML) = await CallAsync(english);
        Assert.Null(Rings(secondTwiML));
        await app.RouteAsync();
        Assert.Equal("Waiting", await StatusOf(second));

        app.Clock.Advance(TimeSpan.FromSeconds(WidenAfterSeconds));
        await app.CallbackAsync($"/telephony/twilio/wait?call={await IdOf(second)}", second);
        await app.RouteAsync();
        await EventuallyAsync(async () => await OfferedTo(second) == russianOnly.Id, "the English call offered to anyone after the wait");
        Assert.Equal(bilingual.Id, await OfferedTo(first));
    }

    [Fact]
    public async Task ANewCallNeverJumpsTheQueueForAnOperatorWhoCouldTakeAnOlderOne()
    {
        var english = await app.NewBusinessAsync(profile: new
        {
            name = "Harbour Dental", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            language = "en-US", summaryEmails = new[] { $"owner-{Guid.NewGuid():N}@example.com" },
        });
        var russian = await app.NewBusinessAsync();
        var russianOnly = await AvailableOperatorAsync("ru-RU");
        var (older, olderTwiML) = await CallAsync(english);
        Assert.Null(Rings(olderTwiML));

        // Past the widening the Russian-speaking operator could take the English call that has waited: a Russian call
        // arriving now queues behind it instead of taking that operator.
        app.Clock.Advance(TimeSpan.FromSeconds(WidenAfterSeconds + 1));
        await app.CallbackAsync($"/telephony/twilio/wait?call={await IdOf(older)}", older);
        var (newer, newerTwiML) = await CallAsync(russian);

        Assert.Null(Rings(newerTwiML));
        Assert.Equal("Waiting", await StatusOf(newer));
        await app.RouteAsync();
        await EventuallyAsync(async () => await OfferedTo(older) == russianOnly.Id, "the older call offered first");
        Assert.Equal("Waiting", await StatusOf(newer));
    }

    [Fact]
    public async Task TakeNextCallStaysForAnAvailableOperator()
    {
        var english = await app.NewBusinessAsync(profile: new
        {
            name = "Harbour Dental", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            language = "en-US", summaryEmails = new[] { $"owner-{Guid.NewGuid():N}@example.com" },
        });
        var russianOnly = await AvailableOperatorAsync("ru-RU");
        var (sid, _) = await CallAsync(english);

        var taken = await russianOnly.Client.PostAsync("/api/console/calls/next", null, Ct);

        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        Assert.Equal(await IdOf(sid), (await taken.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("callId").GetGuid());
    }

    [Fact]
    public async Task OperatorsTrainedForABusinessAreOfferedItsCallsFirst()
    {
        var business = await app.NewBusinessAsync();
        var idleLonger = await AvailableOperatorAsync();
        var trained = await AvailableOperatorAsync();
        var admin = await app.AdminAsync();
        var set = await admin.PutAsJsonAsync($"/api/admin/staff/{trained.Id}",
            new { languages = new[] { "ru-RU" }, trainedBusinessIds = new[] { business.Id } }, Ct);
        set.EnsureSuccessStatusCode();

        var (_, twiml) = await CallAsync(business);

        Assert.Equal(Identity(trained), Rings(twiml));
        Assert.NotEqual(Identity(idleLonger), Rings(twiml));
    }

    [Fact]
    public async Task OperatorLanguagesAreCheckedAndChangedByAdmins()
    {
        var admin = await app.AdminAsync();
        var email = $"operator-{Guid.NewGuid():N}@example.com";
        var refused = await admin.PostAsJsonAsync("/api/admin/staff", new
        {
            email, password = ReceptionistApp.OperatorPassword, displayName = "Ева", role = "Operator", languages = new[] { "english" },
        }, Ct);
        Assert.Contains("languages", (await refused.AssertValidationProblemAsync()).Keys);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM users WHERE email = $1", email));

        var created = await admin.PostAsJsonAsync("/api/admin/staff", new
        {
            email, password = ReceptionistApp.OperatorPassword, displayName = "Ева", role = "Operator", languages = new[] { "en-US" },
        }, Ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        Assert.Equal(new[] { "en-US" }, await app.ScalarAsync<string[]>("SELECT languages FROM operator_presence WHERE operator_id = $1", id));

        var changed = await admin.PutAsJsonAsync($"/api/admin/staff/{id}", new { languages = new[] { "ru-RU", "en-US" } }, Ct);
        changed.EnsureSuccessStatusCode();
        Assert.Equal(["ru-RU", "en-US"], (await changed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("languages")
            .EnumerateArray().Select(l => l.GetString()));

        Assert.Contains("trainedBusinessIds[0]", (await (await admin.PutAsJsonAsync($"/api/admin/staff/{id}",
            new { languages = new[] { "ru-RU" }, trainedBusinessIds = new[] { Guid.NewGuid() } }, Ct)).AssertValidationProblemAsync()).Keys);
        Assert.Contains("languages", (await (await admin.PutAsJsonAsync($"/api/admin/staff/{id}", new { languages = Array.Empty<string>() }, Ct))
            .AssertValidationProblemAsync()).Keys);
        await (await admin.PutAsJsonAsync($"/api/admin/staff/{Guid.NewGuid()}", new { languages = new[] { "ru-RU" } }, Ct))
            .AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(new[] { "ru-RU", "en-US" }, await app.ScalarAsync<string[]>("SELECT languages FROM operator_presence WHERE operator_id = $1", id));
        var operatorClient = await app.SignInAsync(email, ReceptionistApp.OperatorPassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PutAsJsonAsync($"/api/admin/staff/{id}", new { languages = new[] { "ru-RU" } }, Ct)).StatusCode);
    }

    [Fact]
    public async Task AnOfferedCallWhoseReportsAreAllLostIsStillSettled()
    {
        var business = await app.NewBusinessAsync();
        var anna = await AvailableOperatorAsync();
        var (sid, _) = await CallAsync(business);
        // The caller hung up while Anna's console rang, and every report of it was lost.
        var start = app.Clock.GetUtcNow();
        app.Twilio.SetCall(sid, "completed", start, start.AddSeconds(6), 6);
        app.Clock.Advance(TimeSpan.FromSeconds(60));

        await app.ReconcileAsync();
        await app.RouteAsync();

        Assert.Equal("Ended", await StatusOf(sid));
        Assert.Equal("Abandoned", await app.ScalarAsync<string>("SELECT outcome FROM calls WHERE provider_call_id = $1", sid));
        Assert.Equal("available", (await PresenceAsync(anna)).GetProperty("state").GetString());
        Assert.Equal(0, (await PresenceAsync(anna)).GetProperty("missedOffers").GetInt32());
    }

    static async Task<IAsyncEnumerator<SseItem<string>>> EventsAsync(HttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/console/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        response.EnsureSuccessStatusCode();
        var events = SseParser.Create(await response.Content.ReadAsStreamAsync(Ct)).EnumerateAsync(Ct).GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("ready", events.Current.EventType);
        return events;
    }

    /// <summary>The console's next event about its own operator.</summary>
    static async Task<JsonElement> NextPresenceAsync(IAsyncEnumerator<SseItem<string>> events)
    {
        while (true)
        {
            Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15), Ct), "the event stream ended");
            if (events.Current.EventType == "presence")
                return JsonDocument.Parse(events.Current.Data).RootElement;
        }
    }
}
