using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Telegram;

/// <summary>
/// What the bot does with an update, however it arrived (webhook or long polling): <c>/start &lt;token&gt;</c> links the
/// chat to the business whose cabinet made the token (once: the token is then spent); the bot being blocked or removed
/// from a chat unlinks it. Anything else is ignored. A repeated update changes nothing.
/// </summary>
public sealed class TelegramUpdates(AppDbContext db, TimeProvider clock, ILogger<TelegramUpdates> logger)
{
    public async Task HandleAsync(JsonElement update, CancellationToken ct)
    {
        if (update.ValueKind != JsonValueKind.Object)
            return;
        if (update.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
            && text.GetString() is { } command && command.StartsWith("/start ", StringComparison.Ordinal)
            && TryChat(message, out var chatId, out var title))
            await LinkAsync(command["/start ".Length..].Trim(), chatId, title, ct);
        else if (update.TryGetProperty("my_chat_member", out var member) && member.ValueKind == JsonValueKind.Object
                 && member.TryGetProperty("new_chat_member", out var now) && now.ValueKind == JsonValueKind.Object
                 && now.TryGetProperty("status", out var status) && status.GetString() is "kicked" or "left"
                 && TryChat(member, out var leftChat, out _))
            await UnlinkChatAsync(db, leftChat, ct);
    }

    async Task LinkAsync(string token, long chatId, string? title, CancellationToken ct)
    {
        if (token.Length is 0 or > 64)
            return;
        var now = clock.GetUtcNow();
        var hash = TelegramLink.Hash(token);
        var link = await db.Set<TelegramLink>().FirstOrDefaultAsync(l => l.PendingTokenHash == hash && l.PendingTokenExpiresAt > now, ct);
        if (link is null)
            return;
        var business = await db.Set<Business>().Where(b => b.Id == link.BusinessId).Select(b => new { b.Name, b.Language }).FirstAsync(ct);
        link.ChatId = chatId;
        link.ChatTitle = title is { Length: > 200 } ? title[..200] : title;
        link.LinkedAt = now;
        link.PendingTokenHash = null;
        link.PendingTokenExpiresAt = null;
        var english = business.Language.StartsWith("en", StringComparison.Ordinal);
        var hello = english
            ? $"This chat now gets call summaries and missed calls of <b>{TelegramNotifier.Escape(business.Name)}</b>."
            : $"Сюда будут приходить итоги звонков и пропущенные звонки «<b>{TelegramNotifier.Escape(business.Name)}</b>».";
        db.Add(OutboxMessage.Create(TelegramSender.OutboxKind, new TelegramMessage(chatId, hello, []), now));
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Telegram chat linked to business {BusinessId}", link.BusinessId);
    }

    public static Task<int> UnlinkChatAsync(AppDbContext db, long chatId, CancellationToken ct) =>
        db.Set<TelegramLink>().Where(l => l.ChatId == chatId).ExecuteUpdateAsync(s => s
            .SetProperty(l => l.ChatId, (long?)null).SetProperty(l => l.ChatTitle, (string?)null).SetProperty(l => l.LinkedAt, (DateTimeOffset?)null), ct);

    static bool TryChat(JsonElement holder, out long chatId, out string? title)
    {
        (chatId, title) = (0, null);
        if (!holder.TryGetProperty("chat", out var chat) || chat.ValueKind != JsonValueKind.Object
            || !chat.TryGetProperty("id", out var id) || !id.TryGetInt64(out chatId))
            return false;
        title = chat.TryGetProperty("title", out var t) ? t.GetString()
            : chat.TryGetProperty("username", out var u) ? "@" + u.GetString()
            : chat.TryGetProperty("first_name", out var f) ? f.GetString() : null;
        return true;
    }
}

/// <summary>
/// Connects the bot to Telegram at start: with a webhook secret, registers the webhook (App:PublicBaseUrl +
/// /telegram/webhook); without one, long-polls getUpdates. One instance should poll: Telegram answers 409 to a second.
/// </summary>
sealed class TelegramBotConnection(IServiceScopeFactory scopes, IOptions<TelegramOptions> options,
    IOptions<Infrastructure.AppOptions> app, ILogger<TelegramBotConnection> logger) : BackgroundService
{
    const int PollSeconds = 25;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        try
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                var bot = scope.ServiceProvider.GetRequiredService<TelegramBotApi>();
                if (options.Value.WebhookSecret is { } secret)
                {
                    var set = await bot.SetWebhookAsync(app.Value.Url(TelegramEndpoints.WebhookPath), secret, stoppingToken);
                    if (!set.Ok)
                        logger.LogError("Telegram refused the webhook: {Description}", set.Description);
                    return;
                }
                await bot.DeleteWebhookAsync(stoppingToken);
            }
            await PollAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task PollAsync(CancellationToken ct)
    {
        long offset = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var answer = await scope.ServiceProvider.GetRequiredService<TelegramBotApi>().GetUpdatesAsync(offset, PollSeconds, ct);
                if (!answer.Ok || answer.Result.ValueKind != JsonValueKind.Array)
                {
                    logger.LogWarning("Telegram getUpdates failed: {Description}", answer.Description);
                    await Task.Delay(TimeSpan.FromSeconds(answer.RetryAfter ?? 5), ct);
                    continue;
                }
                var updates = scope.ServiceProvider.GetRequiredService<TelegramUpdates>();
                foreach (var update in answer.Result.EnumerateArray())
                {
                    await updates.HandleAsync(update, ct);
                    // Acknowledged by asking past it: a crash before this point sees the update again, and handling is idempotent.
                    offset = Math.Max(offset, update.GetProperty("update_id").GetInt64() + 1);
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Telegram long polling failed; trying again");
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
            }
        }
    }
}
