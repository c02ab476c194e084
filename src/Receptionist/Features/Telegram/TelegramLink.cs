using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Telegram;

/// <summary>
/// A business's Telegram chat: linked when the owner's /start carries the one-time token the cabinet made (only its
/// hash is kept), unlinked from the cabinet or when the owner blocks the bot.
/// </summary>
public sealed class TelegramLink
{
    public Guid BusinessId { get; init; }
    public long? ChatId { get; set; }
    public string? ChatTitle { get; set; }
    public DateTimeOffset? LinkedAt { get; set; }
    public string? PendingTokenHash { get; set; }
    public DateTimeOffset? PendingTokenExpiresAt { get; set; }

    /// <summary>A start parameter Telegram accepts (A–Z, a–z, 0–9, _ and -, at most 64).</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

sealed class TelegramLinkConfiguration : IEntityTypeConfiguration<TelegramLink>
{
    public void Configure(EntityTypeBuilder<TelegramLink> b)
    {
        b.ToTable("telegram_links");
        b.HasKey(x => x.BusinessId);
        b.Property(x => x.ChatTitle).HasMaxLength(200);
        b.Property(x => x.PendingTokenHash).HasMaxLength(64);
        b.HasIndex(x => x.PendingTokenHash).IsUnique().HasFilter("pending_token_hash IS NOT NULL");
        // A blocked bot is reported by chat: the unlink finds the businesses of that chat.
        b.HasIndex(x => x.ChatId).HasFilter("chat_id IS NOT NULL");
        b.HasOne<Business>().WithOne().HasForeignKey<TelegramLink>(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}
