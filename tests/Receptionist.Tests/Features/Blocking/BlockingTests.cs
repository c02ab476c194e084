using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Blocking;

/// <summary>The service with a spam allowance of 4 % of the entry plan's 50 included calls: two calls a period.</summary>
public sealed class BlockingApp(PostgresServer postgres) : CallsApp(postgres)
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Blocking:SpamAllowancePercent", "4")];
}

public sealed partial class BlockingTests(BlockingApp app) : IClassFixture<BlockingApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static string NewSid() => $"CA{Guid.NewGuid():N}";
    static string NewCaller() => $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}";

    static async Task<XElement> TwiMLAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return XDocument.Parse(body).Root!;
    }

    static async Task<JsonElement> BlockAsync(LiveBusiness business, object request)
    {
        var response = await business.Owner.PostAsJsonAsync($"/api/businesses/{business.Id}/blocked-callers", request, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    Task<string?> OutcomeOf(string sid) => app.ScalarAsync<string>("SELECT outcome FROM calls WHERE provider_call_id = $1", sid);

    [Fact]
    public async Task ABlockedCallerHearsTheNumberIsNotAvailableAndIsNeverQueuedNorBilled()
    {
        var business = await app.NewBusinessAsync();
        var caller = NewCaller();
        await BlockAsync(business, new { number = caller.Replace("+7", "8 ("), note = "звонит ночью" });
        await app.ClearQueueAsync();
        var operatorClient = await app.AvailableOperatorAsync();
        var sid = NewSid();

        var twiml = await TwiMLAsync(await app.IncomingCallAsync(sid, caller, business.Line));
        var repeated = await TwiMLAsync(await app.IncomingCallAsync(sid, caller, business.Line));
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        Assert.Equal(["Say", "Hangup"], twiml.Elements().Select(e => e.Name.LocalName));
        Assert.Contains("недоступен", twiml.Element("Say")!.Value);
        Assert.Equal(twiml.ToString(), repeated.ToString());
        Assert.Equal("Blocked", await OutcomeOf(sid));
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM calls WHERE provider_call_id = $1 AND NOT billable", sid));
        Assert.Equal(HttpStatusCode.NoContent, (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).StatusCode);
        Assert.Equal(0L, await app.EmailsToAsync(business));
        var calls = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/calls", Ct);
        Assert.Equal("blocked", calls.GetProperty("items")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task ABlockEndsAtItsExpiryAndOtherBusinessesAreNotAffected()
    {
        var business = await app.NewBusinessAsync();
        var other = await app.NewBusinessAsync();
        var caller = NewCaller();
        await BlockAsync(business, new { number = caller, expiresAt = app.Clock.GetUtcNow().AddHours(1) });

        var toOther = NewSid();
        await TwiMLAsync(await app.IncomingCallAsync(toOther, caller, other.Line));
        var whileBlocked = NewSid();
        await TwiMLAsync(await app.IncomingCallAsync(whileBlocked, caller, business.Line));
        app.Clock.Advance(TimeSpan.FromHours(2));
        var afterExpiry = NewSid();
        var twiml = await TwiMLAsync(await app.IncomingCallAsync(afterExpiry, caller, business.Line));

        Assert.Equal("Waiting", await app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", toOther));
        Assert.Equal("Blocked", await OutcomeOf(whileBlocked));
        Assert.Equal("Enqueue", Assert.Single(twiml.Elements()).Name.LocalName);
        Assert.Null(await OutcomeOf(afterExpiry));
    }

    [Fact]
    public async Task TheBlockListRefusesBadInputByFieldAndKeepsTenantsApart()
    {
        var business = await app.NewBusinessAsync();
        var stranger = await app.NewOwnerAsync();
        var list = $"/api/businesses/{business.Id}/blocked-callers";

        var bad = await (await business.Owner.PostAsJsonAsync(list,
            new { number = "12", expiresAt = app.Clock.GetUtcNow().AddDays(-1) }, Ct)).AssertValidationProblemAsync();
        var tooLong = await (await business.Owner.PostAsJsonAsync(list, new { number = NewCaller(), note = new string('x', 201) }, Ct))
            .AssertValidationProblemAsync();
        var wrongType = await (await business.Owner.PostAsync(list,
            new StringContent("""{"number": 79161234567}""", System.Text.Encoding.UTF8, "application/json"), Ct)).AssertValidationProblemAsync();
        var blocked = await BlockAsync(business, new { number = NewCaller() });
        var blockedId = blocked.GetProperty("id").GetGuid();

        Assert.Contains("number", bad.Keys);
        Assert.Contains("expiresAt", bad.Keys);
        Assert.Contains("note", tooLong.Keys);
        Assert.Contains("number", wrongType.Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(list, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsJsonAsync(list, new { number = NewCaller() }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"{list}/{blockedId}", Ct)).StatusCode);
        Assert.Equal(1, (await business.Owner.GetFromJsonAsync<JsonElement>(list, Ct)).GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, (await business.Owner.DeleteAsync($"{list}/{blockedId}", Ct)).StatusCode);
        Assert.Equal(0, (await business.Owner.GetFromJsonAsync<JsonElement>(list, Ct)).GetArrayLength());
    }

    [Fact]
    public async Task TheOwnerBlocksACallerFromTheCallDetail()
    {
        var business = await app.NewBusinessAsync();
        var stranger = await app.NewOwnerAsync();
        var caller = NewCaller();
        var first = NewSid();
        await TwiMLAsync(await app.IncomingCallAsync(first, caller, business.Line));
        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", first);

        var foreign = await stranger.PostAsJsonAsync($"/api/businesses/{business.Id}/calls/{callId}/block", new { }, Ct);
        var own = await business.Owner.PostAsJsonAsync($"/api/businesses/{business.Id}/calls/{callId}/block", new { note = "реклама" }, Ct);
        var next = NewSid();
        await TwiMLAsync(await app.IncomingCallAsync(next, caller, business.Line));

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal(caller, (await own.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("number").GetString());
        Assert.Equal("Blocked", await OutcomeOf(next));
    }

    [Fact]
    public async Task TheSummaryEmailsBlockLinkAsksFirstAndBlocksOnConfirmation()
    {
        var business = await app.NewBusinessAsync();
        var caller = NewCaller();
        var callId = await app.SummarisedCallAsync(business, "message_taken", caller);
        var text = await app.ScalarAsync<string>(
            "SELECT payload->>'textBody' FROM outbox_messages WHERE kind = 'email' AND payload->>'textBody' LIKE '%' || $1 || '%' LIMIT 1", caller);
        var link = new Uri(BlockLinkPattern().Match(text!).Value);
        var token = System.Web.HttpUtility.ParseQueryString(link.Query)["token"]!;
        var anonymous = app.CreateClient();

        var asked = await anonymous.GetFromJsonAsync<JsonElement>($"/api/block-link?token={Uri.EscapeDataString(token)}", Ct);
        var stillRings = NewSid();
        await TwiMLAsync(await app.IncomingCallAsync(stillRings, caller, business.Line));
        var tampered = await anonymous.PostAsJsonAsync("/api/block-link", new { token = token[..^2] + "xx" }, Ct);
        var confirmed = await anonymous.PostAsJsonAsync("/api/block-link", new { token }, Ct);
        var blockedNow = NewSid();
        await TwiMLAsync(await app.IncomingCallAsync(blockedNow, caller, business.Line));

        Assert.Equal("/block/", link.AbsolutePath);
        Assert.Equal(caller, asked.GetProperty("number").GetString());
        Assert.False(asked.GetProperty("blocked").GetBoolean());
        Assert.Null(await OutcomeOf(stillRings));
        Assert.Contains("token", (await tampered.AssertValidationProblemAsync()).Keys);
        Assert.True((await confirmed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("blocked").GetBoolean());
        Assert.Equal("Blocked", await OutcomeOf(blockedNow));
        Assert.NotEqual(Guid.Empty, callId);
    }

    [Fact]
    public async Task SpamIsNotBilledUpToTheAllowanceThenBilledAndTheOwnerIsTold()
    {
        var business = await app.NewBusinessAsync();

        var spam = new List<Guid>();
        for (var i = 0; i < 3; i++)
            spam.Add(await app.SummarisedCallAsync(business, "spam"));
        await app.SummarisedCallAsync(business, "message_taken");
        var bill = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/billing", Ct);

        Assert.False(await app.ScalarAsync<bool>("SELECT billable FROM calls WHERE id = $1", spam[0]));
        Assert.False(await app.ScalarAsync<bool>("SELECT billable FROM calls WHERE id = $1", spam[1]));
        Assert.True(await app.ScalarAsync<bool>("SELECT billable FROM calls WHERE id = $1", spam[2]));
        Assert.Equal(2, bill.GetProperty("callsNotBilledSpam").GetInt32());
        Assert.Equal(0, bill.GetProperty("callsNotBilledSla").GetInt32());
        Assert.Equal(2, bill.GetProperty("callsUsed").GetInt32());
        Assert.Equal(1L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE kind = 'email' AND payload::text LIKE '%' || $1 || '%' AND payload->>'subject' LIKE 'Спам-звонки%'",
            business.SummaryEmail));
    }

    [GeneratedRegex(@"https?://\S+/block/\?token=\S+")]
    private static partial Regex BlockLinkPattern();
}
