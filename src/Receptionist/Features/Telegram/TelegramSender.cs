using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Telegram;

/// <summary>
/// Sends one outbox message to a chat. On 429 the next attempt waits Telegram's retry_after; when the owner has blocked
/// the bot (403) or the chat is gone, the chat is unlinked and the message dropped, since no retry can deliver it.
/// </summary>
sealed class TelegramSender(TelegramBotApi bot, AppDbContext db, ILogger<TelegramSender> logger) : IOutboxHandler
{
    public const string OutboxKind = "telegram";

    public async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        var outgoing = message.ReadPayload<TelegramMessage>();
        var answer = await bot.SendMessageAsync(TelegramNotifier.ToSendMessage(outgoing), ct);
        if (answer.Ok)
            return;
        if (answer is { ErrorCode: 429, RetryAfter: { } seconds })
            throw new OutboxRetryLaterException(TimeSpan.FromSeconds(seconds), $"Telegram: too many requests, retry after {seconds} s");
        if (answer.ErrorCode == 403 || (answer.ErrorCode == 400 && answer.Description?.Contains("chat not found", StringComparison.OrdinalIgnoreCase) == true))
        {
            await TelegramUpdates.UnlinkChatAsync(db, outgoing.ChatId, ct);
            logger.LogInformation("Telegram chat {ChatId} unlinked: {Description}", outgoing.ChatId, answer.Description);
            return;
        }
        throw new HttpRequestException($"Telegram refused sendMessage: {answer.ErrorCode} {answer.Description}");
    }
}
