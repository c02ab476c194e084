using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Calls;

namespace Receptionist.Features.Transfers;

public enum TransferMode { Warm, Cold }

/// <summary>Where a transfer to the owner stands; every state but Ringing is its outcome.</summary>
public enum TransferState
{
    /// <summary>Warm: the caller holds in the conference while the owner's phone rings and hears who is calling.</summary>
    Ringing,
    /// <summary>The owner took the caller (pressed 1; for a cold transfer, answered).</summary>
    Connected,
    /// <summary>The owner pressed another key: the operator is back with the caller.</summary>
    Declined,
    /// <summary>The owner did not answer, was busy, or voicemail answered (no keypress): the operator is back.</summary>
    NoAnswer,
    /// <summary>The caller hung up while holding.</summary>
    CallerLeft,
    /// <summary>Cold: the caller was sent to the owner's number; the operator is free.</summary>
    Sent,
}

/// <summary>A call's transfer to the business's owner (at most one in progress per call; a new one replaces an ended one).</summary>
public sealed class CallTransfer
{
    public Guid CallId { get; init; }
    public TransferMode Mode { get; set; }
    public TransferState State { get; set; }
    public Guid OperatorId { get; set; }
    /// <summary>The owner's leg (warm), the provider's call id.</summary>
    public string? OwnerCallId { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    /// <summary>When the caller stopped holding: the owner took them, or the operator had them back.</summary>
    public DateTimeOffset? EndedAt { get; set; }
    /// <summary>Seconds the caller held in earlier warm transfers of this call, which this one replaced (the row keeps
    /// one transfer's times): with this one's, the call's hold time in handle time.</summary>
    public double EarlierHoldSeconds { get; set; }
    /// <summary>What the operator said the call is about, for the owner's whisper.</summary>
    public string? Reason { get; set; }

    /// <summary>The operator no longer has the caller: the call's end must not move the operator's state.</summary>
    public bool OperatorReleased => State is TransferState.Connected or TransferState.Sent;

    /// <summary>Seconds the caller held for the owner in all of the call's warm transfers, null before any hold ended
    /// (never billed: a call is billed by its wait before the operator answered).</summary>
    public int? HoldSeconds
    {
        get
        {
            double? current = Mode == TransferMode.Warm && EndedAt is { } ended ? (ended - StartedAt).TotalSeconds : null;
            return current is null && EarlierHoldSeconds == 0 ? null : (int)Math.Round((current ?? 0) + EarlierHoldSeconds);
        }
    }
}

sealed class CallTransferConfiguration : IEntityTypeConfiguration<CallTransfer>
{
    public void Configure(EntityTypeBuilder<CallTransfer> b)
    {
        b.ToTable("call_transfers");
        b.HasKey(x => x.CallId);
        b.Property(x => x.Mode).HasConversion<string>().HasMaxLength(8);
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.OwnerCallId).HasMaxLength(64);
        b.Property(x => x.Reason).HasMaxLength(200);
        b.Property(x => x.EarlierHoldSeconds).HasDefaultValue(0.0);
        b.Ignore(x => x.OperatorReleased);
        b.Ignore(x => x.HoldSeconds);
        // The owner's leg reports on the shared status callback: found by its id.
        b.HasIndex(x => x.OwnerCallId).IsUnique().HasFilter("owner_call_id IS NOT NULL");
        b.HasOne<Call>().WithOne().HasForeignKey<CallTransfer>(x => x.CallId).OnDelete(DeleteBehavior.Cascade);
    }
}
