using System.ComponentModel.DataAnnotations;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Telegram;

/// <summary>Section <c>Telegram</c>: the bot that brings summaries and missed calls to owners' chats.</summary>
public sealed class TelegramOptions
{
    /// <summary>From @BotFather. Unset → Telegram is off (the cabinet says so).</summary>
    public string? BotToken { get; set; }

    /// <summary>The bot's @username without the @, for the deep link https://t.me/&lt;bot&gt;?start=&lt;token&gt;.</summary>
    [RegularExpression("^[A-Za-z0-9_]{5,32}$")]
    public string? BotUsername { get; set; }

    /// <summary>
    /// Set → updates arrive by webhook at App:PublicBaseUrl + /telegram/webhook, and Telegram sends this in the
    /// X-Telegram-Bot-Api-Secret-Token header of each. Unset (no public URL, say in development) → long polling.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_-]{16,256}$")]
    public string? WebhookSecret { get; set; }

    [Required, Url]
    public string ApiBaseUrl { get; set; } = "https://api.telegram.org";

    /// <summary>How long a link from the cabinet may wait for its /start.</summary>
    [TimeSpanRange("00:01:00", "7.00:00:00")]
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromHours(1);

    public bool Enabled => !string.IsNullOrEmpty(BotToken) && !string.IsNullOrEmpty(BotUsername);
}
