using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Summaries;

/// <summary>A database of its own: each test empties the queue so that its operator takes its own call.</summary>
public sealed class SummariesTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static readonly object ValidSummary = new
    {
        outcome = "message_taken",
        fields = new Dictionary<string, string>
        {
            ["caller_name"] = "Ольга",
            ["callback_number"] = "8 (916) 555-12-34",
            ["reason"] = "Записаться на замену масла",
            ["urgency"] = "Срочно",
        },
        note = "Просила перезвонить до обеда",
    };

    sealed record AnsweredCall(Guid Id, string Sid, string Caller, HttpClient Operator, LiveBusiness Business);

    /// <summary>A call to a new live business, taken by a new operator and connected (the operator leg answered).</summary>
    async Task<AnsweredCall> AnsweredCallAsync(LiveBusiness? business = null, string? caller = null, string operatorName = "Мария Иванова")
    {
        business ??= await app.NewBusinessAsync();
        caller ??= $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}";
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, caller, business.Line)).EnsureSuccessStatusCode();
        var id = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        await app.ScalarAsync<object>("UPDATE calls SET status = 'Ended', outcome = 'Abandoned' WHERE status = 'Waiting' AND id <> $1", id);
        var operatorClient = await app.AvailableOperatorAsync(operatorName);
        (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={id}", "CAleg", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        return new AnsweredCall(id, sid, caller, operatorClient, business);
    }

    Task HangUpAsync(AnsweredCall call) =>
        app.CallbackAsync("/telephony/twilio/status", call.Sid, ("CallStatus", "completed"));

    Task<long> SummaryEmailsFor(Guid callId) => app.ScalarAsync<long>("""
        SELECT count(*) FROM outbox_messages o, calls c
        WHERE c.id = $1 AND o.kind = 'email' AND o.payload->>'subject' LIKE '%' || c.caller_number || '%'
          AND o.payload->>'subject' NOT LIKE '%пропущенный%'
        """, callId);

    static async Task<string> PresenceOf(HttpClient operatorClient) =>
        (await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct)).GetProperty("state").GetString()!;

    [Fact]
    public async Task AReloadedConsoleGetsBackTheCallInProgressUntilItsSummaryIsIn()
    {
        var call = await AnsweredCallAsync();
        var during = await call.Operator.GetFromJsonAsync<JsonElement>("/api/console/calls/current", Ct);
        Assert.Equal(call.Id, during.GetProperty("callId").GetGuid());
        Assert.False(string.IsNullOrEmpty(during.GetProperty("scenario").GetProperty("greeting").GetString()));

        await HangUpAsync(call);
        var wrapUp = await call.Operator.GetFromJsonAsync<JsonElement>("/api/console/calls/current", Ct);
        Assert.Equal(call.Id, wrapUp.GetProperty("callId").GetGuid());

        (await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await call.Operator.GetAsync("/api/console/calls/current", Ct)).StatusCode);
        var (other, _) = await app.NewOperatorAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await other.GetAsync("/api/console/calls/current", Ct)).StatusCode);
    }

    [Fact]
    public async Task AfterTheHangUpTheSummaryIsStoredEmailedAndTheOperatorIsAvailableAgain()
    {
        var call = await AnsweredCallAsync();
        await HangUpAsync(call);
        Assert.Equal("wrapUp", await PresenceOf(call.Operator));

        var response = await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var saved = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("available", saved.GetProperty("presence").GetString());
        Assert.Equal("Сообщение принято", saved.GetProperty("outcomeLabel").GetString());
        Assert.Equal("+79165551234", saved.GetProperty("fields").GetProperty("callback_number").GetString());
        Assert.Equal("срочно", saved.GetProperty("fields").GetProperty("urgency").GetString());
        Assert.Equal("available", await PresenceOf(call.Operator));

        var email = JsonDocument.Parse((await app.ScalarAsync<string>(
            "SELECT payload::text FROM outbox_messages WHERE kind = 'email' AND payload->>'subject' LIKE '%' || $1 || '%'", call.Caller))!).RootElement;
        Assert.Equal([call.Business.SummaryEmail], email.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal($"Автосервис «Мотор»: Сообщение принято — звонок с {call.Caller}", email.GetProperty("subject").GetString());
        var text = email.GetProperty("textBody").GetString()!;
        Assert.Contains("Имя звонящего: Ольга", text);
        Assert.Contains("Номер для обратного звонка: +79165551234", text);
        Assert.Contains("Комментарий: Просила перезвонить до обеда", text);
        Assert.Contains("Мария", text);
        Assert.DoesNotContain("Иванова", text);
        Assert.Contains("<td>Суть сообщения</td><td>Записаться на замену масла</td>", email.GetProperty("htmlBody").GetString());
    }

    [Fact]
    public async Task ASummaryWrittenDuringTheCallKeepsTheOperatorBusyUntilTheCallEnds()
    {
        var call = await AnsweredCallAsync();

        var response = await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("busy", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("presence").GetString());
        Assert.Equal("busy", await PresenceOf(call.Operator));
        await HangUpAsync(call);
        Assert.Equal("available", await PresenceOf(call.Operator));
        Assert.Equal("Answered", await app.ScalarAsync<string>("SELECT outcome FROM calls WHERE id = $1", call.Id));
    }

    [Fact]
    public async Task MissingRequiredFieldsBadValuesAndUnknownOutcomesAreRefusedByNameAndNothingIsWritten()
    {
        var call = await AnsweredCallAsync();

        var response = await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", new
        {
            outcome = "sold_a_car",
            fields = new Dictionary<string, string>
            {
                ["callback_number"] = "12345", ["reason"] = "   ", ["urgency"] = "вчера", ["shoe_size"] = "42",
            },
        }, Ct);

        var errors = await response.AssertValidationProblemAsync();
        Assert.Contains("fields.caller_name", errors.Keys);
        Assert.Contains("fields.reason", errors.Keys);
        Assert.Contains("fields.callback_number", errors.Keys);
        Assert.Contains("fields.urgency", errors.Keys);
        Assert.Contains("fields.shoe_size", errors.Keys);
        Assert.Contains("outcome", errors.Keys);
        Assert.DoesNotContain("fields.preferred_time", errors.Keys);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM call_summaries WHERE call_id = $1", call.Id));
        Assert.Equal(0L, await SummaryEmailsFor(call.Id));
        Assert.Equal("busy", await PresenceOf(call.Operator));
    }

    [Fact]
    public async Task OnlyTheOperatorWhoTookTheCallCanSummariseIt()
    {
        var call = await AnsweredCallAsync();
        var (otherOperator, _) = await app.NewOperatorAsync("Пётр");

        var foreign = await otherOperator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct);
        var unknown = await call.Operator.PostAsJsonAsync($"/api/console/calls/{Guid.NewGuid()}/summary", ValidSummary, Ct);
        var owner = await call.Business.Owner.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct);

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, owner.StatusCode);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM call_summaries WHERE call_id = $1", call.Id));
    }

    [Fact]
    public async Task ACallIsSummarisedOnceEvenWhenTwoSubmitsRace()
    {
        var call = await AnsweredCallAsync();
        await HangUpAsync(call);

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct)));
        var again = await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct);

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        await again.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM call_summaries WHERE call_id = $1", call.Id));
        Assert.Equal(1L, await SummaryEmailsFor(call.Id));
    }

    [Fact]
    public async Task ACallNotYetConnectedToTheOperatorCannotBeSummarised()
    {
        var business = await app.NewBusinessAsync();
        var sid = $"CA{Guid.NewGuid():N}";
        await app.IncomingCallAsync(sid, "+79160001122", business.Line);
        var id = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        await app.ScalarAsync<object>("UPDATE calls SET status = 'Ended', outcome = 'Abandoned' WHERE status = 'Waiting' AND id <> $1", id);
        var operatorClient = await app.AvailableOperatorAsync();
        (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();

        var response = await operatorClient.PostAsJsonAsync($"/api/console/calls/{id}/summary", ValidSummary, Ct);

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM call_summaries WHERE call_id = $1", id));
    }

    [Fact]
    public async Task TheOwnerSeesTheSummaryInTheCallLogAndItsListWithoutOtherTenantsSummaries()
    {
        var call = await AnsweredCallAsync(operatorName: "Мария Иванова");
        await HangUpAsync(call);
        (await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", ValidSummary, Ct)).EnsureSuccessStatusCode();
        var other = await AnsweredCallAsync();

        var one = await call.Business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{call.Business.Id}/calls/{call.Id}", Ct);
        var page = await call.Business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{call.Business.Id}/calls", Ct);
        var foreign = await call.Business.Owner.GetAsync($"/api/businesses/{other.Business.Id}/calls/{other.Id}", Ct);

        var summary = one.GetProperty("summary");
        Assert.Equal("message_taken", summary.GetProperty("outcome").GetString());
        Assert.Equal("Сообщение принято", summary.GetProperty("outcomeLabel").GetString());
        Assert.Equal("Ольга", summary.GetProperty("fields").GetProperty("caller_name").GetString());
        Assert.Equal("+79165551234", summary.GetProperty("fields").GetProperty("callback_number").GetString());
        Assert.Equal("Просила перезвонить до обеда", summary.GetProperty("note").GetString());
        Assert.Equal("Мария Иванова", summary.GetProperty("operatorName").GetString());
        var listed = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal("Ольга", listed.GetProperty("summary").GetProperty("fields").GetProperty("caller_name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        var unsummarised = await other.Business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{other.Business.Id}/calls/{other.Id}", Ct);
        Assert.Equal(JsonValueKind.Null, unsummarised.GetProperty("summary").ValueKind);
    }

    [Fact]
    public async Task TheNextOperatorSeesTheCallersEarlierSummaryInTheHistoryAndTheScript()
    {
        var first = await AnsweredCallAsync();
        await HangUpAsync(first);
        (await first.Operator.PostAsJsonAsync($"/api/console/calls/{first.Id}/summary", ValidSummary, Ct)).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromMinutes(5));

        var sid = $"CA{Guid.NewGuid():N}";
        await app.IncomingCallAsync(sid, first.Caller, first.Business.Line);
        await app.ScalarAsync<object>("UPDATE calls SET status = 'Ended', outcome = 'Abandoned' WHERE status = 'Waiting' AND provider_call_id <> $1", sid);
        var next = await app.AvailableOperatorAsync("Ирина");
        var claimed = await (await next.PostAsync("/api/console/calls/next", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        var earlier = Assert.Single(claimed.GetProperty("earlierCalls").EnumerateArray());
        Assert.Equal(first.Id, earlier.GetProperty("callId").GetGuid());
        Assert.Equal("Сообщение принято: Просила перезвонить до обеда", earlier.GetProperty("summary").GetString());
        Assert.Contains("Просила перезвонить до обеда", claimed.GetProperty("scenario").GetProperty("script").GetString());
    }

    [Fact]
    public async Task AnEnglishSpeakingBusinessGetsItsSummaryInEnglish()
    {
        var business = await app.NewBusinessAsync(profile: new
        {
            name = "Blue Door Dental", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            language = "en-US", summaryEmails = new[] { "front-desk@example.com" },
        });
        var call = await AnsweredCallAsync(business);
        await HangUpAsync(call);

        var response = await call.Operator.PostAsJsonAsync($"/api/console/calls/{call.Id}/summary", new
        {
            outcome = "resolved",
            fields = new Dictionary<string, string>
            {
                ["caller_name"] = "Tom <b>", ["callback_number"] = "+7 916 555-12-34", ["reason"] = "Opening hours", ["urgency"] = "not urgent",
            },
        }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var email = JsonDocument.Parse((await app.ScalarAsync<string>(
            "SELECT payload::text FROM outbox_messages WHERE kind = 'email' AND payload->>'subject' LIKE 'Blue Door Dental%' || $1 || '%'", call.Caller))!).RootElement;
        Assert.Equal($"Blue Door Dental: Resolved — call from {call.Caller}", email.GetProperty("subject").GetString());
        Assert.Contains("Caller's name: Tom <b>", email.GetProperty("textBody").GetString());
        Assert.DoesNotContain("Note:", email.GetProperty("textBody").GetString());
        Assert.Contains("Tom &lt;b&gt;", email.GetProperty("htmlBody").GetString());
        Assert.Equal(["front-desk@example.com"], email.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
    }
}

public sealed class SummaryEmailTemplateTests
{
    readonly Receptionist.Features.Email.EmailTemplates templates = new();

    static object Model(bool english, string? note) => new
    {
        BusinessName = "Цветы & Co",
        CallerNumber = "+79991234567",
        CalledAt = new DateTime(2026, 3, 5, 14, 7, 0),
        OutcomeLabel = english ? "Message taken" : "Сообщение принято",
        Fields = new[] { new { Label = "Имя", Value = "Ольга <b>" }, new { Label = "Срочность", Value = "срочно" } },
        Note = note,
        OperatorName = "Мария",
        English = english,
        BlockUrl = (string?)null,
        // No transfer to the owner on this call (Features/Transfers).
        Transfer = (string?)null,
        TransferHoldSeconds = (int?)null,
    };

    [Fact]
    public void TheRussianSummaryListsEachFieldTheNoteAndTheOperatorAndEscapesHtml()
    {
        var rendered = templates.Render("summary", Model(english: false, note: "Перезвонить до обеда"));

        Assert.Equal("Цветы & Co: Сообщение принято — звонок с +79991234567", rendered.Subject);
        Assert.Equal("""
            Итоги звонка для «Цветы & Co»

            Номер: +79991234567
            Время: 05.03.2026 14:07
            Итог: Сообщение принято
            Имя: Ольга <b>
            Срочность: срочно

            Комментарий: Перезвонить до обеда

            Звонок принял(а) Мария, ваш виртуальный секретарь.
            """, rendered.TextBody.TrimEnd());
        Assert.Contains("<tr><td>Имя</td><td>Ольга &lt;b&gt;</td></tr>", rendered.HtmlBody);
        Assert.Contains("Цветы &amp; Co", rendered.HtmlBody);
        Assert.DoesNotContain("<b>", rendered.HtmlBody);
    }

    [Fact]
    public void TheEnglishSummaryWithoutANoteLeavesTheNoteOut()
    {
        var rendered = templates.Render("summary", Model(english: true, note: null));

        Assert.Equal("Цветы & Co: Message taken — call from +79991234567", rendered.Subject);
        Assert.Contains("Time: 2026-03-05 14:07\nOutcome: Message taken\nИмя: Ольга <b>", rendered.TextBody);
        Assert.DoesNotContain("Note", rendered.TextBody);
        Assert.DoesNotContain("Комментарий", rendered.HtmlBody);
        Assert.Contains("<html lang=\"en\">", rendered.HtmlBody);
    }
}
