using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Features.Outbox;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Webhooks;

/// <summary>The service with a loopback receiver playing owners' webhook endpoints and CRMs (amoCRM, Bitrix24).</summary>
public sealed class WebhooksApp(PostgresServer postgres) : CallsApp(postgres)
{
    public FakeReceiver Receiver { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        Receiver = await FakeReceiver.StartAsync(request => request.PathAndQuery switch
        {
            "/amo/api/v4/leads/complex" => new(HttpStatusCode.OK, """[{"id":777,"contact_id":888,"company_id":null,"request_id":["0"],"merged":false}]"""),
            "/amo/api/v4/leads/notes" => new(HttpStatusCode.OK, """{"_embedded":{"notes":[{"id":1,"entity_id":777}]}}"""),
            "/bitrix/rest/1/code/crm.lead.add.json" => new(HttpStatusCode.OK, """{"result":55}"""),
            _ => new(HttpStatusCode.OK),
        });
        await base.InitializeAsync();
    }

    // The receiver is on loopback: allowed here, for this fixture only.
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Webhooks:AllowLoopbackForTests", "true")];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

public sealed class WebhooksTests(WebhooksApp app) : IClassFixture<WebhooksApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<(Guid Id, string Secret)> AddEndpointAsync(LiveBusiness business, object request)
    {
        var response = await business.Owner.PostAsJsonAsync($"/api/businesses/{business.Id}/webhooks", request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var endpoint = JsonDocument.Parse(body).RootElement;
        return (endpoint.GetProperty("id").GetGuid(), endpoint.GetProperty("secret").GetString()!);
    }

    static async Task<JsonElement> DeliveryLogAsync(LiveBusiness business, Guid endpointId) =>
        await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/webhooks/{endpointId}/deliveries", Ct);

    /// <summary>The v1 signatures of a Receptionist-Signature header that match this secret, recomputed as a receiver would.</summary>
    static bool SignatureVerifies(FakeReceiver.Request request, string secret)
    {
        var parts = request.Headers["Receptionist-Signature"].Split(',');
        var timestamp = parts.Single(p => p.StartsWith("t=", StringComparison.Ordinal))[2..];
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes($"{timestamp}.{request.Body}")));
        return parts.Where(p => p.StartsWith("v1=", StringComparison.Ordinal)).Any(p => p[3..] == expected);
    }

    /// <summary>
    /// Waits until the delivery has made <paramref name="attempts"/> attempts and the outbox has recorded the last one
    /// (delivered, dead-lettered, or its retry scheduled), so that moving the clock next moves it past that retry.
    /// </summary>
    async Task<JsonElement> AfterAttemptAsync(LiveBusiness business, Guid endpointId, int attempts)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var log = await DeliveryLogAsync(business, endpointId);
            if (log.GetArrayLength() > 0 && log[0].GetProperty("attempts").GetInt32() >= attempts && await app.ScalarAsync<bool>("""
                    SELECT delivered_at IS NOT NULL OR dead_lettered_at IS NOT NULL OR right(last_error, length($2)) = $2
                    FROM outbox_messages WHERE kind = 'webhook' AND payload->>'deliveryId' = $1 ORDER BY created_at DESC LIMIT 1
                    """, log[0].GetProperty("id").GetGuid().ToString(), log[0].GetProperty("lastError").GetString() ?? "-"))
                return log[0];
            Assert.True(DateTime.UtcNow < deadline, $"attempt {attempts} not made in time: {log}");
            // As a commit would: the outbox looks for due messages now, not at its next poll on the test's clock.
            app.Services.GetRequiredService<OutboxSignal>().Wake();
            await Task.Delay(50, Ct);
        }
    }

    [Fact]
    public async Task ASummaryReachesTheReceiverAsSignedJsonWithAStableEventId()
    {
        var business = await app.NewBusinessAsync();
        var path = $"/hooks/{Guid.NewGuid():N}";
        var (_, secret) = await AddEndpointAsync(business, new { url = app.Receiver.BaseUrl + path, events = new[] { "summary.created", "call.answered" } });

        var callId = await app.SummarisedCallAsync(business, "message_taken");

        var summary = await app.Receiver.EventuallyAsync(r => r.PathAndQuery == path && r.Body.Contains("summary.created"), "summary.created");
        var answered = await app.Receiver.EventuallyAsync(r => r.PathAndQuery == path && r.Body.Contains("call.answered"), "call.answered");
        Assert.True(SignatureVerifies(summary, secret));
        Assert.True(SignatureVerifies(answered, secret));
        Assert.False(SignatureVerifies(summary, secret + "x"));
        var body = JsonDocument.Parse(summary.Body).RootElement;
        Assert.StartsWith("evt_", body.GetProperty("id").GetString());
        Assert.Equal(body.GetProperty("id").GetString(), summary.Headers["Receptionist-Event-Id"]);
        Assert.Equal(business.Id, body.GetProperty("businessId").GetGuid());
        Assert.Equal(callId, body.GetProperty("data").GetProperty("call").GetProperty("id").GetGuid());
        Assert.Equal("message_taken", body.GetProperty("data").GetProperty("summary").GetProperty("outcome").GetString());
        Assert.Equal("Неизвестный", body.GetProperty("data").GetProperty("summary").GetProperty("fields").GetProperty("caller_name").GetString());
    }

    [Fact]
    public async Task AFailedDeliveryIsRetriedWithBackoffAndA429WaitsForRetryAfter()
    {
        var business = await app.NewBusinessAsync();
        var path = $"/hooks/{Guid.NewGuid():N}";
        var (endpointId, secret) = await AddEndpointAsync(business, new { url = app.Receiver.BaseUrl + path, events = new[] { "summary.created" } });
        app.Receiver.AnswerNext(path, HttpStatusCode.InternalServerError, """{"error":"down"}""");
        app.Receiver.AnswerNext(path, HttpStatusCode.TooManyRequests, "{}", new Dictionary<string, string> { ["Retry-After"] = "600" });

        (await business.Owner.PostAsync($"/api/businesses/{business.Id}/webhooks/{endpointId}/test", null, Ct)).EnsureSuccessStatusCode();
        var first = await AfterAttemptAsync(business, endpointId, 1);
        app.Clock.Advance(TimeSpan.FromSeconds(31));
        var second = await AfterAttemptAsync(business, endpointId, 2);
        var due = await app.ScalarAsync<DateTime>(
            "SELECT next_attempt_at FROM outbox_messages WHERE kind = 'webhook' AND payload->>'deliveryId' = $1", second.GetProperty("id").GetGuid().ToString());
        var secondAt = second.GetProperty("lastAttemptAt").GetDateTimeOffset();
        app.Clock.Advance(TimeSpan.FromSeconds(300));
        var stillWaiting = await DeliveryLogAsync(business, endpointId);
        app.Clock.Advance(TimeSpan.FromSeconds(301));
        var third = await AfterAttemptAsync(business, endpointId, 3);

        Assert.Equal(500, first.GetProperty("lastStatusCode").GetInt32());
        Assert.Equal("retrying", first.GetProperty("state").GetString());
        Assert.Equal(429, second.GetProperty("lastStatusCode").GetInt32());
        Assert.True(due >= secondAt.UtcDateTime.AddSeconds(599), $"attempt at {secondAt}, next due {due}: Retry-After ignored");
        Assert.Equal(2, stillWaiting[0].GetProperty("attempts").GetInt32());
        Assert.Equal("delivered", third.GetProperty("state").GetString());
        Assert.Equal(200, third.GetProperty("lastStatusCode").GetInt32());
        var sent = app.Receiver.Requests.Where(r => r.PathAndQuery == path).ToList();
        Assert.Equal(3, sent.Count);
        Assert.Single(sent.Select(r => r.Body).Distinct());
        Assert.All(sent, r => Assert.True(SignatureVerifies(r, secret)));
        Assert.True(JsonDocument.Parse(sent[0].Body).RootElement.GetProperty("test").GetBoolean());
    }

    [Fact]
    public async Task AfterADayOfFailuresADeliveryIsDeadLetteredAndCanBeSentAgain()
    {
        var business = await app.NewBusinessAsync();
        var path = $"/hooks/{Guid.NewGuid():N}";
        var (endpointId, _) = await AddEndpointAsync(business, new { url = app.Receiver.BaseUrl + path, events = new[] { "summary.created" } });
        app.Receiver.AnswerNext(path, HttpStatusCode.BadGateway);
        app.Receiver.AnswerNext(path, HttpStatusCode.BadGateway);

        (await business.Owner.PostAsync($"/api/businesses/{business.Id}/webhooks/{endpointId}/test", null, Ct)).EnsureSuccessStatusCode();
        var first = await AfterAttemptAsync(business, endpointId, 1);
        // A day of failed attempts, without moving the fixture's clock a day (the owner's sign-in would expire).
        await app.ScalarAsync<object>("UPDATE outbox_messages SET created_at = created_at - interval '25 hours' WHERE payload->>'deliveryId' = $1",
            first.GetProperty("id").GetGuid().ToString());
        app.Clock.Advance(TimeSpan.FromSeconds(31));
        var dead = await AfterAttemptAsync(business, endpointId, 2);
        var deliveryId = dead.GetProperty("id").GetGuid();
        var resend = await business.Owner.PostAsync($"/api/businesses/{business.Id}/webhooks/{endpointId}/deliveries/{deliveryId}/resend", null, Ct);
        var delivered = await AfterAttemptAsync(business, endpointId, 3);

        Assert.Equal("deadLettered", dead.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Accepted, resend.StatusCode);
        Assert.Equal("delivered", delivered.GetProperty("state").GetString());
        Assert.Equal(dead.GetProperty("eventId").GetString(), delivered.GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task ARotatedSecretSignsAlongsideTheOldOneForADay()
    {
        var business = await app.NewBusinessAsync();
        var path = $"/hooks/{Guid.NewGuid():N}";
        var (endpointId, oldSecret) = await AddEndpointAsync(business, new { url = app.Receiver.BaseUrl + path, events = new[] { "call.missed" } });

        var rotated = await business.Owner.PostAsync($"/api/businesses/{business.Id}/webhooks/{endpointId}/rotate-secret", null, Ct);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("secret").GetString()!;
        (await business.Owner.PostAsync($"/api/businesses/{business.Id}/webhooks/{endpointId}/test", null, Ct)).EnsureSuccessStatusCode();
        var during = await app.Receiver.EventuallyAsync(r => r.PathAndQuery == path, "the delivery after the rotation");
        // A day later, without moving the fixture's clock a day (the owner's sign-in would expire).
        await app.ScalarAsync<object>("UPDATE webhook_endpoints SET previous_secret_expires_at = $2 WHERE id = $1",
            endpointId, app.Clock.GetUtcNow().AddSeconds(-1));
        (await business.Owner.PostAsync($"/api/businesses/{business.Id}/webhooks/{endpointId}/test", null, Ct)).EnsureSuccessStatusCode();
        var after = await app.Receiver.EventuallyAsync(r => r.PathAndQuery == path, "the delivery a day later", count: 2);

        Assert.NotEqual(oldSecret, newSecret);
        Assert.True(SignatureVerifies(during, newSecret));
        Assert.True(SignatureVerifies(during, oldSecret));
        Assert.True(SignatureVerifies(after, newSecret));
        Assert.False(SignatureVerifies(after, oldSecret));
        var listed = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/webhooks", Ct);
        Assert.Equal(JsonValueKind.Null, listed[0].GetProperty("secret").ValueKind);
    }

    [Fact]
    public async Task EndpointsRefuseBadInputByFieldAndStayWithTheirBusiness()
    {
        var business = await app.NewBusinessAsync();
        var stranger = await app.NewOwnerAsync();
        var list = $"/api/businesses/{business.Id}/webhooks";

        var plainHttp = await (await business.Owner.PostAsJsonAsync(list, new { url = "http://crm.example.com/hook", events = new[] { "call.missed" } }, Ct))
            .AssertValidationProblemAsync();
        var privateAddress = await (await business.Owner.PostAsJsonAsync(list, new { url = "https://10.0.0.1/hook", events = new[] { "call.nothing" } }, Ct))
            .AssertValidationProblemAsync();
        var noEvents = await (await business.Owner.PostAsJsonAsync(list, new { url = "https://crm.example.com/hook", events = Array.Empty<string>() }, Ct))
            .AssertValidationProblemAsync();
        var amoWithoutToken = await (await business.Owner.PostAsJsonAsync(list,
            new { url = "https://name.amocrm.ru", events = new[] { "summary.created" }, kind = "amoCrm" }, Ct)).AssertValidationProblemAsync();
        var (endpointId, _) = await AddEndpointAsync(business, new { url = "https://crm.example.com/hook", events = new[] { "call.missed" } });

        Assert.Contains("url", plainHttp.Keys);
        Assert.Contains("url", privateAddress.Keys);
        Assert.Contains("events[0]", privateAddress.Keys);
        Assert.Contains("events", noEvents.Keys);
        Assert.Contains("accessToken", amoWithoutToken.Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(list, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"{list}/{endpointId}/test", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"{list}/{endpointId}/deliveries", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"{list}/{endpointId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await business.Owner.DeleteAsync($"{list}/{endpointId}", Ct)).StatusCode);
    }

    [Fact]
    public async Task ASummaryBecomesAnAmoCrmLeadWithItsContactAndNoteAndARetryDoesNotCreateItTwice()
    {
        var business = await app.NewBusinessAsync();
        var (endpointId, _) = await AddEndpointAsync(business, new
        {
            kind = "amoCrm", url = app.Receiver.BaseUrl + "/amo", accessToken = "long-lived-token", events = new[] { "summary.created" },
        });
        var notesBefore = app.Receiver.Requests.Count(r => r.PathAndQuery == "/amo/api/v4/leads/notes");
        var leadsBefore = app.Receiver.Requests.Count(r => r.PathAndQuery == "/amo/api/v4/leads/complex");

        await app.SummarisedCallAsync(business, "message_taken");
        var lead = await app.Receiver.EventuallyAsync(r => r.PathAndQuery == "/amo/api/v4/leads/complex", "the amoCRM lead", leadsBefore + 1);
        await AfterAttemptAsync(business, endpointId, 1);
        app.Receiver.AnswerNext("/amo/api/v4/leads/notes", HttpStatusCode.InternalServerError);
        (await business.Owner.PostAsync($"/api/businesses/{business.Id}/webhooks/{endpointId}/test", null, Ct)).EnsureSuccessStatusCode();
        var failed = await AfterAttemptAsync(business, endpointId, 1);
        app.Clock.Advance(TimeSpan.FromSeconds(31));
        var retried = await AfterAttemptAsync(business, endpointId, 2);

        Assert.Equal("Bearer long-lived-token", lead.Headers["Authorization"]);
        var contact = JsonDocument.Parse(lead.Body).RootElement[0].GetProperty("_embedded").GetProperty("contacts")[0];
        Assert.Equal("Неизвестный", contact.GetProperty("first_name").GetString());
        var phone = contact.GetProperty("custom_fields_values")[0];
        Assert.Equal("PHONE", phone.GetProperty("field_code").GetString());
        Assert.Equal("+79161234567", phone.GetProperty("values")[0].GetProperty("value").GetString());
        Assert.Equal("WORK", phone.GetProperty("values")[0].GetProperty("enum_code").GetString());
        var note = JsonDocument.Parse(app.Receiver.Requests.First(r => r.PathAndQuery == "/amo/api/v4/leads/notes" && r.Body.Contains("Предлагал кредит")).Body).RootElement[0];
        Assert.Equal(777, note.GetProperty("entity_id").GetInt64());
        Assert.Equal("common", note.GetProperty("note_type").GetString());
        Assert.Equal(500, failed.GetProperty("lastStatusCode").GetInt32());
        Assert.Equal("delivered", retried.GetProperty("state").GetString());
        // The sample's lead was created once: its note failed, and the retry only added the note.
        Assert.Equal(leadsBefore + 2, app.Receiver.Requests.Count(r => r.PathAndQuery == "/amo/api/v4/leads/complex"));
        Assert.Equal(notesBefore + 3, app.Receiver.Requests.Count(r => r.PathAndQuery == "/amo/api/v4/leads/notes"));
    }

    [Fact]
    public async Task ASummaryBecomesABitrix24LeadThroughItsIncomingWebhook()
    {
        var business = await app.NewBusinessAsync();
        await AddEndpointAsync(business, new { kind = "bitrix24", url = app.Receiver.BaseUrl + "/bitrix/rest/1/code/", events = new[] { "summary.created" } });
        var before = app.Receiver.Requests.Count(r => r.PathAndQuery == "/bitrix/rest/1/code/crm.lead.add.json");

        await app.SummarisedCallAsync(business, "message_taken");

        var added = await app.Receiver.EventuallyAsync(r => r.PathAndQuery == "/bitrix/rest/1/code/crm.lead.add.json", "crm.lead.add", before + 1);
        var fields = JsonDocument.Parse(added.Body).RootElement.GetProperty("fields");
        Assert.Equal("Звонок: Сообщение принято", fields.GetProperty("TITLE").GetString());
        Assert.Equal("Неизвестный", fields.GetProperty("NAME").GetString());
        Assert.Equal("+79161234567", fields.GetProperty("PHONE")[0].GetProperty("VALUE").GetString());
        Assert.Equal("WORK", fields.GetProperty("PHONE")[0].GetProperty("VALUE_TYPE").GetString());
        Assert.Contains("Предлагал кредит", fields.GetProperty("COMMENTS").GetString());
    }
}
