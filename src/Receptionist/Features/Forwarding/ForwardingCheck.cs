using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Forwarding;

public enum ForwardingCheckState { Pending, Passed, Failed }

/// <summary>
/// A test call from the business's line to its protected number. It passes when that call comes back to the
/// line forwarded; it fails when the provider cannot place it or nothing comes back in time.
/// </summary>
public sealed class ForwardingCheck
{
    /// <summary>A pending check past this has failed (<see cref="ForwardingCheckExpiry"/>).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    public ForwardingCheckState State { get; set; }
    public string? ProviderCallId { get; set; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; set; }
    public string? FailureReason { get; set; }
    /// <summary>The forwarded call that passed the check: a retried delivery of its webhook is still recognised as ours.</summary>
    public string? ReturnCallId { get; set; }
}

sealed class ForwardingCheckConfiguration : IEntityTypeConfiguration<ForwardingCheck>
{
    public void Configure(EntityTypeBuilder<ForwardingCheck> b)
    {
        b.ToTable("forwarding_checks");
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.ProviderCallId).HasMaxLength(64);
        b.Property(x => x.FailureReason).HasMaxLength(500);
        // The incoming-call webhook looks for a business's pending check.
        b.HasIndex(x => x.BusinessId).HasFilter("state = 'Pending'").HasDatabaseName("ix_forwarding_checks_pending");
        b.HasIndex(x => x.ProviderCallId);
        b.Property(x => x.ReturnCallId).HasMaxLength(64);
        b.HasIndex(x => x.ReturnCallId).IsUnique().HasFilter("return_call_id IS NOT NULL");
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}
