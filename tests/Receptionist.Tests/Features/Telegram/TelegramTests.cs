using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Features.Outbox;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Telegram;

/// <summary>The service with a bot whose Bot API is a loopback fake; updates arrive by webhook.</summary>
public sealed class TelegramApp(PostgresServer postgres) : CallsApp(postgres)
{
    public const string BotToken = "123456:test-bot-token";
    public const string WebhookSecret = "test-telegram-webhook-secret";
    public const string SendMessagePath = $"/bot{BotToken}/sendMessage";

    public FakeReceiver BotApi { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        BotApi = await FakeReceiver.StartAsync(_ => new(HttpStatusCode.OK, """{"ok":true,"result":{"message_id":1}}"""));
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("Telegram:BotToken", BotToken), new("Telegram:BotUsername", "receptionist_test_bot"),
        new("Telegram:WebhookSecret", WebhookSecret), new("Telegram:ApiBaseUrl", BotApi.BaseUrl),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await BotApi.DisposeAsync();
    }
}

public sealed class TelegramTests(TelegramApp app) : IClassFixture<TelegramApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    Task<HttpResponseMessage> PostUpdateAsync(object update, string secret = TelegramApp.WebhookSecret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/telegram/webhook") { Content = JsonContent.Create(update) };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", secret);
        return app.CreateClient().SendAsync(request, Ct);
    }

    static object Start(long chatId, string token) => new
    {
        update_id = Random.Shared.Next(), message = new { message_id = 1, date = 0, text = $"/start {token}", chat = new { id = chatId, type = "private", first_name = "Ирина" } },
    };

    /// <summary>A business whose owner linked chat <paramref name="chatId"/> through the cabinet's deep link.</summary>
    async Task<LiveBusiness> LinkedBusinessAsync(long chatId)
    {
        var business = await app.NewBusinessAsync();
        var offer = await (await business.Owner.PostAsync($"/api/businesses/{business.Id}/telegram/link", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var token = new Uri(offer.GetProperty("url").GetString()!).Query["?start=".Length..];
        (await PostUpdateAsync(Start(chatId, token))).EnsureSuccessStatusCode();
        return business;
    }

    IEnumerable<JsonElement> MessagesTo(long chatId) => app.BotApi.Requests
        .Where(r => r.PathAndQuery == TelegramApp.SendMessagePath)
        .Select(r => JsonDocument.Parse(r.Body).RootElement)
        .Where(m => m.GetProperty("chat_id").GetInt64() == chatId);

    async Task<JsonElement> EventuallyMessageAsync(long chatId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (MessagesTo(chatId).Count() < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"message {count} to chat {chatId} did not arrive in time");
            app.Services.GetRequiredService<OutboxSignal>().Wake();
            await Task.Delay(50, Ct);
        }
        return MessagesTo(chatId).ElementAt(count - 1);
    }

    async Task MissedCallAsync(LiveBusiness business)
    {
        await app.ClearQueueAsync();
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, "+79167654321", business.Line)).EnsureSuccessStatusCode();
        (await app.CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task AChatLinkedByItsOneTimeTokenGetsSummariesEscapedAndWithinTelegramsLimitWithButtons()
    {
        var chatId = Random.Shared.NextInt64(1_000_000, 9_000_000);
        var business = await app.NewBusinessAsync();
        var offer = await (await business.Owner.PostAsync($"/api/businesses/{business.Id}/telegram/link", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var url = new Uri(offer.GetProperty("url").GetString()!);
        var token = url.Query["?start=".Length..];

        var forged = await PostUpdateAsync(Start(chatId, token), secret: "not-the-secret");
        var beforeStart = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/telegram", Ct);
        (await PostUpdateAsync(Start(chatId, token))).EnsureSuccessStatusCode();
        var intruder = chatId + 1;
        (await PostUpdateAsync(Start(intruder, token))).EnsureSuccessStatusCode();
        var linked = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/telegram", Ct);
        var welcome = await EventuallyMessageAsync(chatId, 1);
        await app.SummarisedCallAsync(business, "message_taken", note: "<b>Срочно</b> & " + new string('<', 3980));
        var summary = await EventuallyMessageAsync(chatId, 2);

        Assert.Equal("t.me", url.Host);
        Assert.Equal("/receptionist_test_bot", url.AbsolutePath);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.False(beforeStart.GetProperty("linked").GetBoolean());
        Assert.True(linked.GetProperty("linked").GetBoolean());
        Assert.Equal("Ирина", linked.GetProperty("chatTitle").GetString());
        Assert.Contains("Автосервис «Мотор»", welcome.GetProperty("text").GetString());
        Assert.Empty(MessagesTo(intruder));
        var text = summary.GetProperty("text").GetString()!;
        Assert.Equal("HTML", summary.GetProperty("parse_mode").GetString());
        Assert.Contains("Неизвестный", text);
        Assert.Contains("&lt;b&gt;Срочно&lt;/b&gt; &amp; &lt;", text);
        Assert.DoesNotContain("<b>Срочно", text);
        Assert.True(text.Length < 4096, $"{text.Length} characters");
        Assert.EndsWith("…", text);
        var buttons = summary.GetProperty("reply_markup").GetProperty("inline_keyboard").EnumerateArray().Select(row => row[0]).ToList();
        Assert.Equal(3, buttons.Count);
        Assert.Contains("/telegram/call?number=%2B7916", buttons[0].GetProperty("url").GetString());
        Assert.Contains("/block/?token=", buttons[2].GetProperty("url").GetString());
        var callBack = await app.CreateClient(new() { AllowAutoRedirect = false }).GetAsync(new Uri(buttons[0].GetProperty("url").GetString()!).PathAndQuery, Ct);
        Assert.StartsWith("tel:+7916", callBack.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A429WaitsForRetryAfterAndABlockedBotUnlinksTheChat()
    {
        var chatId = Random.Shared.NextInt64(10_000_000, 90_000_000);
        var business = await LinkedBusinessAsync(chatId);
        await EventuallyMessageAsync(chatId, 1);
        app.BotApi.AnswerNext(TelegramApp.SendMessagePath, HttpStatusCode.TooManyRequests,
            """{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}""");

        await MissedCallAsync(business);
        await EventuallyMessageAsync(chatId, 2);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        DateTime? due;
        while ((due = await app.ScalarAsync<DateTime?>(
                   "SELECT next_attempt_at FROM outbox_messages WHERE kind = 'telegram' AND last_error LIKE '%retry after 7 s' AND payload->>'chatId' = $1",
                   chatId.ToString())) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the 429 was not recorded in time");
            await Task.Delay(50, Ct);
        }
        var failedAt = app.Clock.GetUtcNow().UtcDateTime;
        app.Clock.Advance(TimeSpan.FromSeconds(8));
        var retried = await EventuallyMessageAsync(chatId, 3);
        app.BotApi.AnswerNext(TelegramApp.SendMessagePath, HttpStatusCode.Forbidden,
            """{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}""");
        await MissedCallAsync(business);
        await EventuallyMessageAsync(chatId, 4);
        JsonElement status;
        do
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(20), "the chat was not unlinked in time");
            await Task.Delay(50, Ct);
            status = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/telegram", Ct);
        } while (status.GetProperty("linked").GetBoolean());

        Assert.True(due >= failedAt.AddSeconds(6), $"failed at {failedAt}, due {due}");
        Assert.Contains("Пропущенный звонок", retried.GetProperty("text").GetString());
    }

    [Fact]
    public async Task TheOwnerUnlinksFromTheCabinetOrByRemovingTheBotAndTenantsStayApart()
    {
        var first = await LinkedBusinessAsync(Random.Shared.NextInt64(100_000_000, 900_000_000));
        var kickedChat = Random.Shared.NextInt64(100_000_000, 900_000_000);
        var second = await LinkedBusinessAsync(kickedChat);
        var stranger = await app.NewOwnerAsync();

        var foreign = await stranger.DeleteAsync($"/api/businesses/{first.Id}/telegram", Ct);
        var foreignLink = await stranger.PostAsync($"/api/businesses/{first.Id}/telegram/link", null, Ct);
        var unlinked = await first.Owner.DeleteAsync($"/api/businesses/{first.Id}/telegram", Ct);
        (await PostUpdateAsync(new
        {
            update_id = 1,
            my_chat_member = new { chat = new { id = kickedChat, type = "private" }, new_chat_member = new { status = "kicked" } },
        })).EnsureSuccessStatusCode();
        var garbage = await PostUpdateAsync("not an update");

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignLink.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, unlinked.StatusCode);
        Assert.Equal(HttpStatusCode.OK, garbage.StatusCode);
        Assert.False((await first.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{first.Id}/telegram", Ct)).GetProperty("linked").GetBoolean());
        Assert.False((await second.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{second.Id}/telegram", Ct)).GetProperty("linked").GetBoolean());
    }
}

/// <summary>The service with a bot and no webhook secret: it long-polls the fake Bot API for updates.</summary>
public sealed class TelegramPollingApp(PostgresServer postgres) : CallsApp(postgres)
{
    public FakeReceiver BotApi { get; private set; } = null!;
    public string StartToken { get; set; } = "";
    int delivered;

    public override async ValueTask InitializeAsync()
    {
        BotApi = await FakeReceiver.StartAsync(request =>
        {
            if (!request.PathAndQuery.EndsWith("/getUpdates", StringComparison.Ordinal))
                return new(HttpStatusCode.OK, """{"ok":true,"result":true}""");
            // The /start once the test has a token, then nothing new, held a while as Telegram holds a long poll.
            if (StartToken.Length > 0 && Interlocked.Exchange(ref delivered, 1) == 0)
                return new(HttpStatusCode.OK, """{"ok":true,"result":[{"update_id":41,"message":{"message_id":1,"date":0,"text":"/start TOKEN","chat":{"id":777001,"type":"private","first_name":"Олег"}}}]}""".Replace("TOKEN", StartToken));
            return new(HttpStatusCode.OK, """{"ok":true,"result":[]}""", Delay: TimeSpan.FromMilliseconds(300));
        });
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("Telegram:BotToken", TelegramApp.BotToken), new("Telegram:BotUsername", "receptionist_test_bot"),
        new("Telegram:ApiBaseUrl", BotApi.BaseUrl),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await BotApi.DisposeAsync();
    }
}

public sealed class TelegramPollingTests(TelegramPollingApp app) : IClassFixture<TelegramPollingApp>
{
    [Fact]
    public async Task WithoutAWebhookSecretTheBotLongPollsAndLinksTheChatFromItsUpdates()
    {
        var ct = TestContext.Current.CancellationToken;
        var business = await app.NewBusinessAsync(live: false);
        var offer = await (await business.Owner.PostAsync($"/api/businesses/{business.Id}/telegram/link", null, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);

        app.StartToken = new Uri(offer.GetProperty("url").GetString()!).Query["?start=".Length..];

        await app.BotApi.EventuallyAsync(r => r.PathAndQuery == TelegramApp.SendMessagePath && r.Body.Contains("777001"), "the welcome message");
        var status = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/telegram", ct);
        Assert.True(status.GetProperty("linked").GetBoolean());
        Assert.Contains(app.BotApi.Requests, r => r.PathAndQuery.EndsWith("/deleteWebhook", StringComparison.Ordinal));
        // The next poll asks past the update it handled.
        await app.BotApi.EventuallyAsync(r => r.PathAndQuery.EndsWith("/getUpdates", StringComparison.Ordinal) && r.Body.Contains("\"offset\":42"), "a poll past update 41");
    }
}
