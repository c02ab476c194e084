using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Data;

namespace Receptionist.Features.Businesses;

public enum FallbackMode { Voicemail, BackupNumber }

/// <summary>A tenant: one owner's business, answered in its name.</summary>
public sealed class Business
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid OwnerId { get; init; }
    public required string Name { get; set; }
    /// <summary>The owner's own number, forwarded to our line; E.164, unique across businesses.</summary>
    public required string ProtectedNumber { get; set; }
    public required string TimeZone { get; set; }
    public required string Language { get; set; }
    public List<string> SummaryEmails { get; set; } = [];
    public string? BackupNumber { get; set; }
    public FallbackMode Fallback { get; set; }
    public OpeningHours Hours { get; set; } = OpeningHours.Default;
    /// <summary>Set when a forwarding check saw a call come back forwarded from the protected number.</summary>
    public DateTimeOffset? ForwardingVerifiedAt { get; set; }
    /// <summary>The scenario operators follow now; each call records the version it was answered with.</summary>
    public Guid? ScenarioVersionId { get; set; }
    public DateTimeOffset CreatedAt { get; init; }

    public DateTime LocalTime(DateTimeOffset now) => TimeZoneInfo.ConvertTimeBySystemTimeZoneId(now, TimeZone).DateTime;

    public bool IsOpenAt(DateTimeOffset now) => Hours.IsOpenAt(LocalTime(now));
}

sealed class BusinessConfiguration : IEntityTypeConfiguration<Business>
{
    public void Configure(EntityTypeBuilder<Business> b)
    {
        b.ToTable("businesses");
        b.Property(x => x.Name).HasMaxLength(100);
        b.Property(x => x.ProtectedNumber).HasMaxLength(16);
        b.HasIndex(x => x.ProtectedNumber).IsUnique();
        b.HasIndex(x => x.OwnerId);
        b.Property(x => x.TimeZone).HasMaxLength(64);
        b.Property(x => x.Language).HasMaxLength(5);
        b.Property(x => x.BackupNumber).HasMaxLength(16);
        b.Property(x => x.Fallback).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Hours).HasJsonConversion();
        b.HasOne<Scenarios.ScenarioVersion>().WithMany().HasForeignKey(x => x.ScenarioVersionId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Accounts.AppUser>().WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Restrict);
    }
}
