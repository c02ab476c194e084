using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Calls;

/// <summary>Where a call is now. Every call ends in exactly one <see cref="CallOutcome"/>.</summary>
public enum CallStatus
{
    /// <summary>In the shared queue, the caller hears ringback.</summary>
    Waiting,
    /// <summary>An operator took it; the provider is bridging the caller to them.</summary>
    Claimed,
    /// <summary>The operator's leg is connected.</summary>
    Answered,
    /// <summary>Sent to the business's fallback (voicemail or backup number).</summary>
    Fallback,
    /// <summary>The call is over; see the outcome.</summary>
    Ended,
}

public enum CallOutcome
{
    /// <summary>An operator talked to the caller.</summary>
    Answered,
    /// <summary>The caller hung up while waiting for an operator.</summary>
    Abandoned,
    /// <summary>No operator took it within the overflow time; it went to the fallback.</summary>
    Overflowed,
    /// <summary>The business was not live (not set up, not paid); it went to the fallback.</summary>
    NotLive,
    /// <summary>The provider could not complete the call.</summary>
    Failed,
    /// <summary>The caller is on the business's block list: never queued, never billed (Features/Blocking).</summary>
    Blocked,
}

public sealed class Call
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    public required string ProviderCallId { get; init; }
    public required string CallerNumber { get; init; }
    public CallStatus Status { get; set; }
    public CallOutcome? Outcome { get; set; }
    /// <summary>When the first webhook for the call arrived: the wait starts here.</summary>
    public DateTimeOffset ReceivedAt { get; init; }
    /// <summary>The latest evidence that the caller is still on the line (the incoming webhook, a wait poll, the
    /// provider's record). A claim only takes a call seen recently: a caller who is gone is never handed to an operator.</summary>
    public DateTimeOffset? LastSeenAt { get; set; }
    public DateTimeOffset? ClaimedAt { get; set; }
    /// <summary>When the provider fetched the instructions that dial the claiming operator.</summary>
    public DateTimeOffset? BridgedAt { get; set; }
    /// <summary>When the provider reported the operator's leg connected: the wait ends here.</summary>
    public DateTimeOffset? AnsweredAt { get; set; }
    /// <summary>When the provider says the caller's call ended. Set before <see cref="Status"/> is Ended only while a
    /// bridged call waits for the evidence of whether the operator answered.</summary>
    public DateTimeOffset? EndedAt { get; set; }
    public Guid? OperatorId { get; set; }
    /// <summary>Answered within the answer SLA; a call that waited longer is never billed.</summary>
    public bool Billable { get; set; }
    public string? RecordingUrl { get; set; }
    public Guid? ScenarioVersionId { get; set; }
    /// <summary>Reconciliation with the provider's record: when it may next look at this call, and how often it has
    /// failed to reach the provider about it.</summary>
    public DateTimeOffset? ReconcileAt { get; set; }
    public int ReconcileAttempts { get; set; }

    public int? WaitSeconds => AnsweredAt is { } answered ? (int)Math.Round((answered - ReceivedAt).TotalSeconds) : null;
}

sealed class CallConfiguration : IEntityTypeConfiguration<Call>
{
    public void Configure(EntityTypeBuilder<Call> b)
    {
        b.ToTable("calls");
        b.Property(x => x.ProviderCallId).HasMaxLength(64);
        // A retried webhook finds the call it already recorded.
        b.HasIndex(x => x.ProviderCallId).IsUnique();
        b.Property(x => x.CallerNumber).HasMaxLength(32);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.RecordingUrl).HasMaxLength(500);
        b.Ignore(x => x.WaitSeconds);
        // The queue claim takes the oldest waiting call: a partial index holds only those.
        b.HasIndex(x => new { x.ReceivedAt, x.Id }).HasFilter("status = 'Waiting'").HasDatabaseName("ix_calls_waiting");
        // Reconciliation looks only at calls that have not ended: a small set, whatever the table's size.
        b.HasIndex(x => x.ReceivedAt).HasFilter("status <> 'Ended'").HasDatabaseName("ix_calls_in_progress");
        // Owners page through their call log newest first, by the log's own order (its cursor is a place in these
        // indexes), filtered by outcome or by a caller's number; the console looks up a caller's history.
        b.HasIndex(x => new { x.BusinessId, x.ReceivedAt, x.Id });
        b.HasIndex(x => new { x.BusinessId, x.Outcome, x.ReceivedAt, x.Id });
        b.HasIndex(x => new { x.BusinessId, x.CallerNumber, x.ReceivedAt });
        // Service-level reports across all businesses take a period's calls by when they entered the queue (Features/Metrics).
        // Named: the in-progress index above is on the same column.
        b.HasIndex(x => x.ReceivedAt, "ix_calls_received_at");
        // The console asks for its operator's call in progress (and whether there is one before a presence change),
        // then for an answered call still owing its summary: partial indexes keep both to the operator's few rows
        // rather than every call they ever took.
        b.HasIndex(x => x.OperatorId).HasFilter("status IN ('Claimed', 'Answered')").HasDatabaseName("ix_calls_operator_on_call");
        b.HasIndex(x => new { x.OperatorId, x.ClaimedAt }).HasFilter("status = 'Ended' AND outcome = 'Answered'")
            .HasDatabaseName("ix_calls_operator_answered");
        // Billing counts a period's answered calls per business.
        b.HasIndex(x => new { x.BusinessId, x.AnsweredAt }).HasFilter("answered_at IS NOT NULL");
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.OperatorId).OnDelete(DeleteBehavior.Restrict);
    }
}
