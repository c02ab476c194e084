using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Receptionist.Data;
using Receptionist.Features.Calls;
using Receptionist.Features.Summaries;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Calls;

/// <summary>The owner's call log: each call opened with everything known about it, filters, and the CSV export.</summary>
public sealed class CallLogTests(LiveReceptionistApp app, Browser browser) : IClassFixture<LiveReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const string Caller = "+79161234500";

    sealed record History(HttpClient Owner, Guid BusinessId, Call Earlier, Call Answered, Call Late, Call Abandoned, Call Stranger);

    /// <summary>A business whose caller called three times (missed, answered with a summary, answered late), and one other caller.</summary>
    async Task<History> HistoryAsync()
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        var businessId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        (await owner.PutAsJsonAsync($"/api/businesses/{businessId}/scenario", new { builtIn = "take-message" }, Ct)).EnsureSuccessStatusCode();
        var scenario = await app.ScalarAsync<Guid>("SELECT scenario_version_id FROM businesses WHERE id = $1", businessId);
        var (_, operatorEmail) = await app.NewOperatorAsync("Анна Петрова");
        var operatorId = await app.ScalarAsync<Guid>("SELECT id FROM users WHERE normalized_email = upper($1)", operatorEmail);
        var at = DateTimeOffset.UtcNow.AddHours(-3);
        Call Ended(string caller, DateTimeOffset received, CallOutcome outcome, int waited, bool billable) => new()
        {
            BusinessId = businessId, ProviderCallId = $"CA{Guid.NewGuid():N}", CallerNumber = caller, ReceivedAt = received,
            Status = CallStatus.Ended, Outcome = outcome, Billable = billable, ScenarioVersionId = scenario,
            AnsweredAt = outcome == CallOutcome.Answered ? received.AddSeconds(waited) : null,
            OperatorId = outcome == CallOutcome.Answered ? operatorId : null,
            EndedAt = received.AddSeconds(waited + 60),
        };
        var history = new History(owner, businessId,
            Earlier: Ended(Caller, at, CallOutcome.Abandoned, 12, false),
            Answered: Ended(Caller, at.AddMinutes(30), CallOutcome.Answered, 8, true),
            Late: Ended(Caller, at.AddMinutes(60), CallOutcome.Answered, 41, false),
            Abandoned: Ended("+79169990000", at.AddMinutes(70), CallOutcome.Overflowed, 60, false),
            Stranger: Ended("+79169990001", at.AddMinutes(80), CallOutcome.Abandoned, 5, false));
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.AddRange(history.Earlier, history.Answered, history.Late, history.Abandoned, history.Stranger);
        db.Add(new CallSummary
        {
            CallId = history.Answered.Id, BusinessId = businessId, OperatorId = operatorId, Outcome = "message", OutcomeLabel = "Сообщение принято",
            Fields = new() { ["caller_name"] = "Ирина", ["message"] = "=HYPERLINK(\"http://evil\"), перезвоните" }, Note = "Просила до обеда",
            CreatedAt = history.Answered.EndedAt!.Value,
        });
        await db.SaveChangesAsync(Ct);
        return history;
    }

    [Fact]
    public async Task ACallOpensWithItsWaitOutcomeBillingOperatorSummaryAndTheCallersEarlierCalls()
    {
        var history = await HistoryAsync();

        var call = await history.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{history.BusinessId}/calls/{history.Answered.Id}", Ct);

        Assert.Equal(8, call.GetProperty("waitedSeconds").GetInt32());
        Assert.Equal("answered", call.GetProperty("outcome").GetString());
        Assert.Equal("billable", call.GetProperty("billingReason").GetString());
        Assert.Equal("Анна", call.GetProperty("operatorFirstName").GetString());
        Assert.Equal("Ирина", call.GetProperty("summary").GetProperty("fields").GetProperty("caller_name").GetString());
        Assert.Equal("Просила до обеда", call.GetProperty("summary").GetProperty("note").GetString());
        Assert.Equal("Имя звонящего", call.GetProperty("fieldLabels").GetProperty("caller_name").GetString());
        var earlier = Assert.Single(call.GetProperty("earlierCalls").EnumerateArray());
        Assert.Equal(history.Earlier.Id, earlier.GetProperty("id").GetGuid());

        var late = await history.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{history.BusinessId}/calls/{history.Late.Id}", Ct);
        Assert.Equal("waitedOverSla", late.GetProperty("billingReason").GetString());
        Assert.Equal(2, late.GetProperty("earlierCalls").GetArrayLength());
        var missed = await history.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{history.BusinessId}/calls/{history.Abandoned.Id}", Ct);
        Assert.Equal("notAnswered", missed.GetProperty("billingReason").GetString());
        Assert.Equal(60, missed.GetProperty("waitedSeconds").GetInt32());
        Assert.Equal(JsonValueKind.Null, missed.GetProperty("operatorFirstName").ValueKind);
    }

    [Fact]
    public async Task TheLogFiltersByCallerAndOutcomeAndExportsTheSameCallsAsSafeCsv()
    {
        var history = await HistoryAsync();
        var log = $"/api/businesses/{history.BusinessId}/calls";

        var byCaller = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?caller=916 123-45-00&page=1", Ct);
        var byTrunkPrefix = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?caller=8 916 123 45 00&page=1", Ct);
        var byPart = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?caller=45-00&page=1", Ct);
        var answered = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?caller=%2B79161234500&outcome=answered", Ct);
        var csvResponse = await history.Owner.GetAsync($"{log}.csv?caller=79161234500", Ct);

        Assert.Equal(3, byCaller.GetProperty("total").GetInt32());
        Assert.Equal(3, byTrunkPrefix.GetProperty("total").GetInt32());
        Assert.Equal(3, byPart.GetProperty("total").GetInt32());
        Assert.Equal([history.Late.Id, history.Answered.Id], answered.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
        Assert.Equal(HttpStatusCode.OK, csvResponse.StatusCode);
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var bytes = await csvResponse.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).TrimEnd().Split("\r\n", "\n".Length == 1 ? StringSplitOptions.None : StringSplitOptions.None)
            .SelectMany(l => l.Split('\n')).ToArray();
        Assert.Equal("received_at,caller,outcome,waited_seconds,billing,operator,summary_outcome,note,recording_url", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Contains($",{Caller},answered,8,billable,Анна,Сообщение принято,Просила до обеда,", lines[2]);
    }

    static List<Guid> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid())];

    /// <summary>Calls that ended unanswered, all arriving at <paramref name="at"/> (to the microsecond).</summary>
    Task AddCallsAtAsync(Guid businessId, DateTimeOffset at, int count) => app.ScalarAsync<object>("""
        INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, ended_at, billable, reconcile_attempts)
        SELECT gen_random_uuid(), $1, 'CA' || md5(random()::text), '+79169990002', 'Ended', 'Abandoned', $2, $2, false, 0
        FROM generate_series(1, $3)
        """, businessId, at, count);

    [Fact]
    public async Task TheLogIsWalkedByItsCursorToTheEndCountedOnlyByPageNumberAndCallsOfTheSameMomentAreNeitherLostNorRepeated()
    {
        var history = await HistoryAsync();
        await AddCallsAtAsync(history.BusinessId, history.Stranger.ReceivedAt.AddMinutes(5), 3);
        var log = $"/api/businesses/{history.BusinessId}/calls";
        var everything = Ids(await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=100", Ct));

        var numbered = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=2&page=1", Ct);
        var page = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=2", Ct);
        Assert.Equal(8, numbered.GetProperty("total").GetInt32());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("total").ValueKind);
        var walked = Ids(page);
        while (page.GetProperty("next").GetString() is { } next)
        {
            page = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=2&before={Uri.EscapeDataString(next)}", Ct);
            Assert.Equal(JsonValueKind.Null, page.GetProperty("total").ValueKind);
            Assert.Equal(JsonValueKind.Null, page.GetProperty("page").ValueKind);
            walked.AddRange(Ids(page));
        }

        Assert.Equal(8, everything.Count);
        Assert.Equal(everything, walked);
        // The filters hold on every page.
        var answered = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=1&outcome=answered", Ct);
        var older = await history.Owner.GetFromJsonAsync<JsonElement>(
            $"{log}?pageSize=1&outcome=answered&before={Uri.EscapeDataString(answered.GetProperty("next").GetString()!)}", Ct);
        Assert.Equal([history.Late.Id], Ids(answered));
        Assert.Equal([history.Answered.Id], Ids(older));
        Assert.Equal(JsonValueKind.Null, older.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task ABadCursorOrACursorWithAPageNumberNamesBeforeAndAnotherOwnersLogStaysNotFound()
    {
        var history = await HistoryAsync();
        var log = $"/api/businesses/{history.BusinessId}/calls";
        var next = Uri.EscapeDataString((await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?pageSize=1", Ct)).GetProperty("next").GetString()!);

        // Not base64url; base64url of something else; too long; a page number besides the cursor.
        foreach (var query in new[] { "before=%2F%2F", $"before={Convert.ToBase64String("12:not-an-id"u8).TrimEnd('=')}",
                     $"before={new string('A', 200)}", $"before={next}&page=2" })
        {
            var errors = await (await history.Owner.GetAsync($"{log}?{query}", Ct)).AssertValidationProblemAsync();
            Assert.Equal(["before"], errors.Keys);
        }
        var stranger = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"{log}?before={next}", Ct)).StatusCode);
    }

    [Fact]
    public async Task TheDashboardSeriesCountEachCallOnceByDayOutcomeWeekdayAndHourInTheBusinessZone()
    {
        var history = await HistoryAsync();

        var stats = await history.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{history.BusinessId}/calls-stats", Ct);

        var byDay = stats.GetProperty("byDay").EnumerateArray().ToList();
        Assert.Equal(5, byDay.Sum(d => d.GetProperty("calls").GetInt32()));
        Assert.Equal(2, byDay.Where(d => d.GetProperty("outcome").GetString() == "answered").Sum(d => d.GetProperty("calls").GetInt32()));
        var moscow = TimeZoneInfo.FindSystemTimeZoneById("Europe/Moscow");
        var answeredAt = TimeZoneInfo.ConvertTime(history.Answered.ReceivedAt, moscow);
        var cell = stats.GetProperty("byWeekdayAndHour").EnumerateArray().Single(c =>
            c.GetProperty("weekday").GetInt32() == ((int)answeredAt.DayOfWeek + 6) % 7 + 1 && c.GetProperty("hour").GetInt32() == answeredAt.Hour);
        Assert.True(cell.GetProperty("calls").GetInt32() >= 1);
        Assert.Equal(5, stats.GetProperty("byWeekdayAndHour").EnumerateArray().Sum(c => c.GetProperty("calls").GetInt32()));
        var stranger = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{history.BusinessId}/calls-stats", Ct)).StatusCode);
    }

    [Fact]
    public async Task TheMissedFilterListsEveryCallThatEndedWithoutAnOperatorAsTheFiguresCountThem()
    {
        var history = await HistoryAsync();
        var log = $"/api/businesses/{history.BusinessId}/calls";

        var missed = await history.Owner.GetFromJsonAsync<JsonElement>($"{log}?outcome=missed&page=1", Ct);
        var figures = await history.Owner.GetFromJsonAsync<JsonElement>(
            $"/api/businesses/{history.BusinessId}/metrics?from={DateTimeOffset.UtcNow.AddDays(-1):yyyy-MM-dd}", Ct);

        Assert.Equal([history.Stranger.Id, history.Abandoned.Id, history.Earlier.Id],
            missed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
        Assert.Equal(figures.GetProperty("missed").GetInt64(), missed.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task AnotherOwnersCallAndLogAreNotFoundAndABadFilterNamesItsField()
    {
        var history = await HistoryAsync();
        var stranger = await app.NewOwnerAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{history.BusinessId}/calls/{history.Answered.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{history.BusinessId}/calls.csv", Ct)).StatusCode);
        var bad = await history.Owner.GetAsync($"/api/businesses/{history.BusinessId}/calls.csv?caller=abc", Ct);
        Assert.Contains("caller", (await bad.AssertValidationProblemAsync()).Keys);
    }

    [Fact]
    public async Task TheOwnerOpensACallFromTheLogInTheirPages()
    {
        var email = $"log-{Guid.NewGuid():N}@example.com";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password = "owner-password-1", personalDataConsent = true }, Ct))
            .EnsureSuccessStatusCode();
        var history = await HistoryAsync();
        // The history belongs to its own owner: sign in as that owner in the browser by moving the business to this account.
        await app.ScalarAsync<object>("UPDATE businesses SET owner_id = (SELECT id FROM users WHERE normalized_email = upper($1)) WHERE id = $2",
            email, history.BusinessId);
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", email);
        await page.FillAsync("#auth-password", "owner-password-1");
        await page.ClickAsync("#sign-in");

        await page.ClickAsync($"#call-rows tr[data-call-id='{history.Answered.Id}'] button");

        // The dashboard draws the same calls: five bars' worth of segments and five calls in the heat map.
        await Assertions.Expect(page.Locator("#calls-chart rect")).Not.ToHaveCountAsync(0);
        Assert.Equal(5, await page.EvaluateAsync<int>("() => [...document.querySelectorAll('#heatmap td')].reduce((sum, td) => sum + Number(td.dataset.calls), 0)"));
        var detail = page.Locator("#call-detail");
        await Assertions.Expect(detail).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#call-facts")).ToContainTextAsync("Оплачивается: ответ в пределах 30 секунд.");
        await Assertions.Expect(page.Locator("#call-facts")).ToContainTextAsync("Анна");
        await Assertions.Expect(page.Locator("#call-summary")).ToContainTextAsync("Имя звонящего");
        await Assertions.Expect(page.Locator("#call-summary")).ToContainTextAsync("Ирина");
        await Assertions.Expect(page.Locator("#call-earlier li")).ToHaveCountAsync(1);

        await page.FillAsync("#filter-caller", "+7 916 999-00-00");
        await page.ClickAsync("#apply-filters");
        await Assertions.Expect(page.Locator("#call-rows tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#export-calls")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("calls\\.csv\\?caller="));

        // A log longer than a page shows the rest a page at a time, then no more button.
        await AddCallsAtAsync(history.BusinessId, history.Earlier.ReceivedAt.AddDays(-1), 50);
        await page.FillAsync("#filter-caller", "");
        await page.ClickAsync("#apply-filters");
        await Assertions.Expect(page.Locator("#call-rows tr")).ToHaveCountAsync(50);
        await page.ClickAsync("#more-calls");
        await Assertions.Expect(page.Locator("#call-rows tr")).ToHaveCountAsync(55);
        await Assertions.Expect(page.Locator("#more-calls")).ToBeHiddenAsync();
    }
}
