using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Digest;

/// <summary>
/// A business's opt-in to the daily digest: at <see cref="SendAt"/> in the business's time zone, the previous day's
/// calls by email (and Telegram when linked). <see cref="LastDay"/> is the last day a digest was made for, so each day
/// is digested once, by one instance.
/// </summary>
public sealed class DigestSettings
{
    public Guid BusinessId { get; init; }
    public bool Enabled { get; set; }
    public TimeOnly SendAt { get; set; } = new(9, 0);
    public DateOnly? LastDay { get; set; }
}

sealed class DigestSettingsConfiguration : IEntityTypeConfiguration<DigestSettings>
{
    public void Configure(EntityTypeBuilder<DigestSettings> b)
    {
        b.ToTable("digest_settings");
        b.HasKey(x => x.BusinessId);
        b.HasIndex(x => x.BusinessId).HasFilter("enabled").HasDatabaseName("ix_digest_settings_enabled");
        b.HasOne<Business>().WithOne().HasForeignKey<DigestSettings>(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Section <c>Digest</c>.</summary>
public sealed class DigestOptions
{
    /// <summary>How often each instance looks for businesses whose digest time has come.</summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <param name="Time">Local "HH:mm" in the business's time zone.</param>
public sealed record DigestRequest(bool Enabled, [property: MaxLength(5)] string? Time = null);

public sealed record DigestView(bool Enabled, string Time);
