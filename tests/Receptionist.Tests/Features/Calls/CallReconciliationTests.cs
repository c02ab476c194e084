using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Calls;

/// <summary>
/// Calls whose reports stopped: a gone caller never blocks the shared queue, reconciliation settles what the provider
/// knows, keeps asking while the provider is down, and one tenant's stored data never breaks another step of a call.
/// </summary>
public sealed class CallReconciliationTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static string NewSid() => $"CA{Guid.NewGuid():N}";
    static string NewCaller() => $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}";

    Task<Guid> IdOf(string sid) => app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
    async Task<string> StateOf(string sid) =>
        $"{await app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", sid)}/" +
        $"{await app.ScalarAsync<string>("SELECT outcome FROM calls WHERE provider_call_id = $1", sid)}";

    async Task<string> EnteredAsync(LiveBusiness business)
    {
        var sid = NewSid();
        (await app.IncomingCallAsync(sid, NewCaller(), business.Line)).EnsureSuccessStatusCode();
        return sid;
    }

    [Fact]
    public async Task ACallerWhoIsGoneNeverBlocksTheSharedQueue()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        // The caller hung up and every report saying so was lost: Twilio alone knows.
        var gone = await EnteredAsync(business);
        app.Twilio.SetCall(gone, "completed", app.Clock.GetUtcNow(), app.Clock.GetUtcNow().AddSeconds(2), 2);
        app.Clock.Advance(TimeSpan.FromSeconds(2));
        var live = await EnteredAsync(business);
        var operatorClient = await app.AvailableOperatorAsync();

        var claim = await operatorClient.PostAsync("/api/console/calls/next", null, Ct);

        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        Assert.Equal(await IdOf(live), (await claim.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("callId").GetGuid());
        Assert.Equal("Ended/Abandoned", await StateOf(gone));
        Assert.Equal(1L, await app.EmailsToAsync(business));

        // A caller not heard from for two rings is not even tried: it waits for reconciliation, which settles it.
        await app.ClearQueueAsync();
        var silent = await EnteredAsync(business);
        app.Clock.Advance(TimeSpan.FromSeconds(13));
        var next = await EnteredAsync(business);
        var secondOperator = await app.AvailableOperatorAsync();
        var redirectsBefore = app.Twilio.Requests.Count(r => r.Path.EndsWith($"/Calls/{silent}.json"));
        var second = await (await secondOperator.PostAsync("/api/console/calls/next", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(await IdOf(next), second.GetProperty("callId").GetGuid());
        Assert.Equal(redirectsBefore, app.Twilio.Requests.Count(r => r.Path.EndsWith($"/Calls/{silent}.json")));
        app.Twilio.SetCall(silent, "completed", app.Clock.GetUtcNow().AddSeconds(-13), app.Clock.GetUtcNow().AddSeconds(-10), 3);
        await app.ReconcileAsync();
        Assert.Equal("Ended/Abandoned", await StateOf(silent));
        Assert.Equal(2L, await app.EmailsToAsync(business));
    }

    [Fact]
    public async Task WhenTheProviderCannotBeReachedTheClaimedCallerWaitsAgainAndNoStepAnswers5xx()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var sid = await EnteredAsync(business);
        var operatorClient = await app.AvailableOperatorAsync();
        app.Twilio.Unreachable = true;
        try
        {
            var claim = await operatorClient.PostAsync("/api/console/calls/next", null, Ct);
            await claim.AssertProblemAsync(HttpStatusCode.BadGateway);
            var check = await business.Owner.PostAsync($"/api/businesses/{business.Id}/forwarding/check", null, Ct);
            Assert.Equal(HttpStatusCode.Accepted, check.StatusCode);
            Assert.Equal("failed", (await check.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("state").GetString());
        }
        finally
        {
            app.Twilio.Unreachable = false;
        }
        Assert.Equal("Waiting/", await StateOf(sid));
        Assert.Equal("available", (await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task WhileTheProviderIsDownReconciliationAsksAgainLessOftenThenSettlesOnTheEvidenceAtHand()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var sid = await EnteredAsync(business);
        app.Clock.Advance(TimeSpan.FromSeconds(13));
        app.Twilio.Unreachable = true;
        try
        {
            await app.ReconcileAsync();
            Assert.Equal(1, await app.ScalarAsync<int>("SELECT reconcile_attempts FROM calls WHERE provider_call_id = $1", sid));
            // Backing off: not asked again at once.
            await app.ReconcileAsync();
            Assert.Equal(1, await app.ScalarAsync<int>("SELECT reconcile_attempts FROM calls WHERE provider_call_id = $1", sid));
            Assert.Equal("Waiting/", await StateOf(sid));
            for (var attempt = 2; attempt <= 10; attempt++)
            {
                app.Clock.Advance(TimeSpan.FromMinutes(10));
                await app.ReconcileAsync();
            }
        }
        finally
        {
            app.Twilio.Unreachable = false;
        }

        Assert.Equal(10, await app.ScalarAsync<int>("SELECT reconcile_attempts FROM calls WHERE provider_call_id = $1", sid));
        Assert.Equal("Ended/Abandoned", await StateOf(sid));
        Assert.Equal(1L, await app.EmailsToAsync(business));
    }

    [Fact]
    public async Task AWaitingCallerWhosePollsStoppedGoesToTheFallbackOnceTheOverflowTimeHasPassed()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var sid = await EnteredAsync(business);
        app.Twilio.SetCall(sid, "in-progress", app.Clock.GetUtcNow());

        app.Clock.Advance(TimeSpan.FromSeconds(20));
        await app.ReconcileAsync();
        Assert.Equal("Waiting/", await StateOf(sid));
        app.Clock.Advance(TimeSpan.FromSeconds(41));
        await app.ReconcileAsync();

        Assert.Equal("Fallback/Overflowed", await StateOf(sid));
        var redirect = app.Twilio.Requests.Last(r => r.Path.EndsWith($"/Calls/{sid}.json") && r.Form.ContainsKey("Url"));
        var fallbackUrl = new Uri(redirect.Form["Url"]);
        Assert.Equal("/telephony/twilio/fallback", fallbackUrl.AbsolutePath);
        var fallback = XDocument.Parse(await (await app.CallbackAsync(fallbackUrl.PathAndQuery, sid)).Content.ReadAsStringAsync(Ct)).Root!;
        Assert.Equal(["Say", "Record", "Hangup"], fallback.Elements().Select(e => e.Name.LocalName));
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        Assert.Equal("Ended/Overflowed", await StateOf(sid));
        Assert.Equal(1L, await app.EmailsToAsync(business));
    }

    [Fact]
    public async Task AClaimThatWasNeverBridgedIsReturnedToTheQueueAndTheOperatorFreed()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var sid = await EnteredAsync(business);
        var operatorClient = await app.AvailableOperatorAsync();
        (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        app.Twilio.SetCall(sid, "in-progress", app.Clock.GetUtcNow());

        // The redirect was accepted but its instructions were never fetched, and the caller is not polling either.
        app.Clock.Advance(TimeSpan.FromSeconds(16));
        await app.ReconcileAsync();

        Assert.Equal("Waiting/", await StateOf(sid));
        Assert.Equal("available", (await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct)).GetProperty("state").GetString());
        var redirect = app.Twilio.Requests.Last(r => r.Path.EndsWith($"/Calls/{sid}.json") && r.Form.ContainsKey("Url"));
        var back = XDocument.Parse(await (await app.CallbackAsync(new Uri(redirect.Form["Url"]).PathAndQuery, sid)).Content.ReadAsStringAsync(Ct)).Root!;
        Assert.Equal("Enqueue", Assert.Single(back.Elements()).Name.LocalName);
    }

    [Fact]
    public async Task AStoredAddressThatCannotBeUsedIsSkippedAndTheCallStillEndsWithTheOthersTold()
    {
        var business = await app.NewBusinessAsync();
        // Stored before addresses were checked with the sender's own parser.
        await app.ScalarAsync<object>("UPDATE businesses SET summary_emails = array_append(summary_emails, 'a.@example.com') WHERE id = $1", business.Id);
        var sid = await EnteredAsync(business);

        (await app.CallbackAsync($"/telephony/twilio/queue-result?call={await IdOf(sid)}", sid, ("QueueResult", "hangup"))).EnsureSuccessStatusCode();

        Assert.Equal("Ended/Abandoned", await StateOf(sid));
        var payload = JsonDocument.Parse((await app.ScalarAsync<string>(
            "SELECT payload::text FROM outbox_messages WHERE payload::text LIKE '%' || $1 || '%'", business.SummaryEmail))!).RootElement;
        Assert.Equal([business.SummaryEmail], payload.GetProperty("to").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("a.@example.com", payload.GetProperty("skipped")[0].GetString());

        // With no usable address at all, the email is dead-lettered for admins and the call still ends.
        var lonely = await app.NewBusinessAsync();
        await app.ScalarAsync<object>("UPDATE businesses SET summary_emails = ARRAY['a.@example.com'] WHERE id = $1", lonely.Id);
        var lonelySid = await EnteredAsync(lonely);
        (await app.CallbackAsync("/telephony/twilio/status", lonelySid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        Assert.Equal("Ended/Abandoned", await StateOf(lonelySid));
        var dead = await (await app.AdminAsync()).GetFromJsonAsync<JsonElement>("/api/admin/outbox?state=dead", Ct);
        Assert.Contains(dead.EnumerateArray(), m => m.GetProperty("lastError").GetString()!.Contains("a.@example.com"));
    }

    [Theory]
    [InlineData("a.@example.com")]
    [InlineData("иван@example.com")]
    [InlineData("Owner <owner@example.com>")]
    public async Task AnAddressTheSenderCannotUseIsRefusedAtInput(string address)
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsJsonAsync("/api/businesses", new
        {
            name = "Ателье", protectedNumber = NewCaller(), timeZone = "Europe/Moscow", summaryEmails = new[] { address },
        }, Ct);

        Assert.Contains("summaryEmails[0]", (await response.AssertValidationProblemAsync()).Keys);
    }
}
