using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Receptionist.Features.Console;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Console;

/// <summary>The call service on a real port for the browser, mailing a real SMTP server on loopback.</summary>
public sealed class ConsoleApp(PostgresServer postgres) : CallsApp(postgres)
{
    public SmtpServer Smtp { get; } = new();

    protected override bool OnRealPort => true;

    public override async ValueTask InitializeAsync()
    {
        await Smtp.InitializeAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() => [.. base.Settings(), .. Smtp.AppSettings()];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

public sealed class ConsoleTests(ConsoleApp app, Browser browser) : IClassFixture<ConsoleApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnOperatorSignsInTakesAWaitingCallAnswersInTheBusinessNameAndTheSummaryIsEmailed()
    {
        var name = $"Пекарня «Утро» №{Random.Shared.Next(100, 999)}";
        var business = await app.NewBusinessAsync(profile: new
        {
            name, protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            summaryEmails = new[] { "baker@example.com" },
        });
        await app.ScalarAsync<object>("UPDATE calls SET status = 'Ended', outcome = 'Abandoned' WHERE status = 'Waiting'");
        var (_, operatorEmail) = await app.NewOperatorAsync("Светлана Орлова");
        var page = await browser.NewPageAsync(app.BaseUrl);
        var queueReads = 0;
        page.Request += (_, request) => { if (request.Url.EndsWith("/api/console/queue", StringComparison.Ordinal)) Interlocked.Increment(ref queueReads); };

        await page.GotoAsync("/console");
        await page.FillAsync("#auth-email", operatorEmail);
        await page.FillAsync("#auth-password", ReceptionistApp.OperatorPassword);
        await page.ClickAsync("#sign-in");
        await page.ClickAsync("#go-available");
        await Assertions.Expect(page.Locator("#presence")).ToHaveTextAsync("Доступен");

        const string caller = "+79167770011";
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, caller, business.Line)).EnsureSuccessStatusCode();
        // Pushed to the page: nobody reloads it, and the page does not read the queue back for a change.
        await Assertions.Expect(page.Locator("#queue tr")).ToContainTextAsync(name);
        var readsBefore = Volatile.Read(ref queueReads);
        Assert.True(readsBefore >= 1, "the page read the queue when it connected");
        var other = await app.NewBusinessAsync();
        var otherSid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(otherSid, "+79167770022", other.Line)).EnsureSuccessStatusCode();
        await Assertions.Expect(page.Locator("#queue tr")).ToHaveCountAsync(2);
        await app.ScalarAsync<object>("UPDATE calls SET status = 'Ended', outcome = 'Abandoned' WHERE provider_call_id = $1", otherSid);
        await Assertions.Expect(page.Locator("#queue tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#queue-count")).ToHaveTextAsync("1");
        Assert.Equal(readsBefore, Volatile.Read(ref queueReads));

        await Assertions.Expect(page.Locator("#softphone")).ToHaveTextAsync("Телефон не подключён");
        await page.Locator("body").PressAsync("n");
        await Assertions.Expect(page.Locator("#call-business")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("#greeting")).ToContainTextAsync($"{name}! Меня зовут Светлана.");
        // A reload in the middle of the call brings it back.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#greeting")).ToContainTextAsync($"{name}! Меня зовут Светлана.");
        await Assertions.Expect(page.Locator("#call-caller")).ToHaveTextAsync(caller);
        await Assertions.Expect(page.Locator("#presence")).ToHaveTextAsync("На звонке");
        await Assertions.Expect(page.Locator("label[for=field-caller_name] .required")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#queue tr")).ToHaveCountAsync(0);

        // Twilio's side: the operator's leg connects, later the caller hangs up.
        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}", "CAleg", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();

        await page.Locator("#submit-summary").ClickAsync();
        await Assertions.Expect(page.Locator("#summary-error")).ToContainTextAsync("fields.caller_name");
        await page.FillAsync("#field-caller_name", "Николай");
        await page.FillAsync("#field-callback_number", "8 916 777-00-11");
        await page.FillAsync("#field-reason", "Заказ торта на субботу");
        await page.SelectOptionAsync("#field-urgency", "сегодня");
        await page.SelectOptionAsync("#outcome", "message_taken");
        await page.FillAsync("#note", "Торт «Наполеон», 2 кг");
        await page.Locator("#note").PressAsync("Control+Enter");

        await Assertions.Expect(page.Locator("#done-text")).ToContainTextAsync("Вы снова доступны");
        await Assertions.Expect(page.Locator("#presence")).ToHaveTextAsync("Доступен");
        await Assertions.Expect(page.Locator("#call")).ToBeHiddenAsync();

        var email = await app.Smtp.WaitForMessageAsync(m => m.Subject?.StartsWith(name, StringComparison.Ordinal) == true, $"summarising the call to {name}");
        Assert.Equal($"{name}: Сообщение принято — звонок с {caller}", email.Subject);
        Assert.Equal(["baker@example.com"], email.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("Имя звонящего: Николай", email.TextBody);
        Assert.Contains("Номер для обратного звонка: +79167770011", email.TextBody);
        Assert.Contains("Срочность: сегодня", email.TextBody);
        Assert.Contains("Комментарий: Торт «Наполеон», 2 кг", email.TextBody);
        Assert.Contains("Светлана", email.TextBody);
        Assert.Contains($"<h2>Итоги звонка для «{name}»</h2>", WebUtility.HtmlDecode(email.HtmlBody));
        Assert.Contains("<td>Суть сообщения</td><td>Заказ торта на субботу</td>", email.HtmlBody);
    }

    [Fact]
    public async Task TheConsoleRefusesSomeoneWhoIsNotAnOperator()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password = "owner-password-1", personalDataConsent = true }, Ct)).EnsureSuccessStatusCode();
        var page = await browser.NewPageAsync(app.BaseUrl);

        await page.GotoAsync("/console");
        await page.FillAsync("#auth-email", email);
        await page.FillAsync("#auth-password", "owner-password-1");
        await page.ClickAsync("#sign-in");

        await Assertions.Expect(page.Locator("#auth-error")).ToContainTextAsync("только для операторов");
        await Assertions.Expect(page.Locator("#queue-panel")).ToBeHiddenAsync();
    }
}

/// <summary>Live queue updates across instances: two services on one database, consoles on either.</summary>
public sealed class ConsoleEventsTests(ScaledOutApp app) : IClassFixture<ScaledOutApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An operator's event stream from <paramref name="instance"/>, read from its first event on.</summary>
    static async Task<IAsyncEnumerator<SseItem<string>>> EventsAsync(ReceptionistApp instance, string email) =>
        await EventsAsync(await instance.SignInAsync(email, ReceptionistApp.OperatorPassword));

    static async Task<IAsyncEnumerator<SseItem<string>>> EventsAsync(HttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/console/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = SseParser.Create(await response.Content.ReadAsStreamAsync(Ct)).EnumerateAsync(Ct).GetAsyncEnumerator(Ct);
        var first = await NextAsync(events);
        Assert.Equal("ready", first.EventType);
        return events;
    }

    static async Task<SseItem<string>> NextAsync(IAsyncEnumerator<SseItem<string>> events)
    {
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct), "the event stream ended");
        return events.Current;
    }

    /// <summary>The next queue event about <paramref name="callId"/> (other calls' events are skipped).</summary>
    static async Task<JsonElement> NextChangeOfAsync(IAsyncEnumerator<SseItem<string>> events, Guid callId)
    {
        while (true)
        {
            var item = await NextAsync(events);
            if (item.EventType != "queue")
                continue;
            var change = JsonDocument.Parse(item.Data).RootElement;
            if (change.GetProperty("callId").GetGuid() == callId)
                return change;
        }
    }

    [Fact]
    public async Task ACallArrivingThroughOneInstanceReachesAConsoleOnTheOtherAndSoDoesItsClaim()
    {
        var business = await app.NewBusinessAsync();
        var (_, watcher) = await app.NewOperatorAsync("Наблюдатель");
        var events = await EventsAsync(app.Second, watcher);

        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, "+79165550101", business.Line)).EnsureSuccessStatusCode();
        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);

        var arrived = await NextChangeOfAsync(events, callId);
        Assert.Equal("waiting", arrived.GetProperty("status").GetString());
        Assert.Equal(business.Id, arrived.GetProperty("businessId").GetGuid());

        await app.ScalarAsync<object>("UPDATE calls SET status = 'Ended', outcome = 'Abandoned' WHERE status = 'Waiting' AND id <> $1", callId);
        var taker = await app.AvailableOperatorAsync();
        (await taker.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        Assert.Equal("claimed", (await NextChangeOfAsync(events, callId)).GetProperty("status").GetString());

        // The second instance's own queue agrees: served from its snapshot, which the same notification changed.
        var secondClient = await app.Second.SignInAsync(watcher, ReceptionistApp.OperatorPassword);
        var queue = await secondClient.GetFromJsonAsync<JsonElement[]>("/api/console/queue", Ct);
        Assert.DoesNotContain(queue!, w => w.GetProperty("callId").GetGuid() == callId);
        await events.DisposeAsync();
    }

    [Fact]
    public async Task ManyConsolesSeeEveryChangeFromTheEventsAloneAndTheQueueIsNotReadPerChange()
    {
        const int consolesPerInstance = 25, calls = 4;
        var business = await app.NewBusinessAsync();
        var (_, watcher) = await app.NewOperatorAsync("Смена");
        var consoles = new List<(IAsyncEnumerator<SseItem<string>> Events, bool OnTestClock)>();
        foreach (var instance in new ReceptionistApp[] { app, app.Second })
        {
            var client = await instance.SignInAsync(watcher, ReceptionistApp.OperatorPassword);
            for (var i = 0; i < consolesPerInstance; i++)
                consoles.Add((await EventsAsync(client), instance == app));
        }
        var snapshots = new[] { app.Services.GetRequiredService<QueueSnapshot>(), app.Second.Services.GetRequiredService<QueueSnapshot>() };
        var rebuildsBefore = snapshots.Select(s => s.Rebuilds).ToArray();

        var callIds = new List<Guid>();
        for (var i = 0; i < calls; i++)
        {
            var sid = $"CA{Guid.NewGuid():N}";
            (await app.IncomingCallAsync(sid, $"+7916555030{i}", business.Line)).EnsureSuccessStatusCode();
            callIds.Add(await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid));
        }
        await app.ScalarAsync<object>("UPDATE calls SET status = 'Ended', outcome = 'Abandoned' WHERE id = $1", callIds[0]);

        await Task.WhenAll(consoles.Select(async console =>
        {
            var events = console.Events;
            foreach (var callId in callIds)
            {
                var arrived = await NextChangeOfAsync(events, callId);
                Assert.Equal("waiting", arrived.GetProperty("status").GetString());
                Assert.Equal("Автосервис «Мотор»", arrived.GetProperty("businessName").GetString());
                Assert.True(arrived.GetProperty("receivedAt").GetDateTimeOffset() > DateTimeOffset.MinValue);
                // The wait as of sending, on the sending instance's clock (the second instance runs on real time).
                if (console.OnTestClock)
                    Assert.Equal((0, 30), (arrived.GetProperty("waitingSeconds").GetInt32(), arrived.GetProperty("slaSecondsLeft").GetInt32()));
                else
                    Assert.True(arrived.GetProperty("waitingSeconds").GetInt32() >= 0);
            }
            Assert.Equal("ended", (await NextChangeOfAsync(events, callIds[0])).GetProperty("status").GetString());
        }));

        Assert.Equal(rebuildsBefore, snapshots.Select(s => s.Rebuilds).ToArray());
        // Both instances serve the queue from their snapshots, each holding every change.
        foreach (var instance in new ReceptionistApp[] { app, app.Second })
        {
            var client = await instance.SignInAsync(watcher, ReceptionistApp.OperatorPassword);
            var queue = (await client.GetFromJsonAsync<JsonElement[]>("/api/console/queue", Ct))!.Select(w => w.GetProperty("callId").GetGuid()).ToList();
            Assert.Equal(callIds[1..], queue.Intersect(callIds));
        }
        Assert.Equal(rebuildsBefore, snapshots.Select(s => s.Rebuilds).ToArray());
        foreach (var (events, _) in consoles)
            await events.DisposeAsync();
    }

    [Fact]
    public async Task AfterLosingItsDatabaseConnectionAnInstanceListensAgainAndTellsItsConsolesToResync()
    {
        var business = await app.NewBusinessAsync();
        var (_, watcher) = await app.NewOperatorAsync("Дежурный");
        var events = await EventsAsync(app.Second, watcher);

        var killed = await app.ScalarAsync<long>("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE 'LISTEN %'
            """);

        Assert.Equal(2L, killed);
        SseItem<string> item;
        do item = await NextAsync(events); while (item.EventType is "heartbeat" or "queue");
        Assert.Equal("resync", item.EventType);
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, "+79165550202", business.Line)).EnsureSuccessStatusCode();
        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        Assert.Equal("waiting", (await NextChangeOfAsync(events, callId)).GetProperty("status").GetString());
        await events.DisposeAsync();
    }

    [Fact]
    public async Task OnlyOperatorsMayListenToTheQueue()
    {
        var owner = await app.Second.NewOwnerAsync();

        var response = await owner.GetAsync("/api/console/events", HttpCompletionOption.ResponseHeadersRead, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
