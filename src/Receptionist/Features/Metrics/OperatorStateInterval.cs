using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Accounts;
using Receptionist.Features.Queue;

namespace Receptionist.Features.Metrics;

/// <summary>
/// One span of an operator in one presence state, for occupancy. Written only by the database: a trigger on
/// <c>operator_presence</c> (migration OperatorStateIntervals) closes the open span and opens the next whenever the
/// state changes, so every path that moves an operator (claim, return, call end, summary, presence API) is covered
/// without touching the call path's code, in the same transaction as the change.
/// </summary>
public sealed class OperatorStateInterval
{
    public long Id { get; init; }
    public Guid OperatorId { get; init; }
    public PresenceState State { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>Null while the operator is still in this state.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>How an <see cref="PresenceState.Offered"/> span ended, set by the trigger that closes it (migration
    /// OfferOutcomesAndTransferHold); null on other spans and while the offer rings.</summary>
    public OfferOutcome? OfferOutcome { get; init; }
}

/// <summary>How an offer made by push routing ended, read from the presence change that ended it.</summary>
public enum OfferOutcome
{
    /// <summary>The operator picked up: Offered → Busy.</summary>
    Answered,
    /// <summary>It rang out (the missed-offers count went up), whether or not that set the operator away.</summary>
    Missed,
    /// <summary>The operator said no (a cooldown was set without a miss).</summary>
    Declined,
    /// <summary>Taken back without the operator's doing: the caller hung up while it rang, or the claim went stale.</summary>
    Withdrawn,
}

sealed class OperatorStateIntervalConfiguration : IEntityTypeConfiguration<OperatorStateInterval>
{
    public void Configure(EntityTypeBuilder<OperatorStateInterval> b)
    {
        b.ToTable("operator_state_intervals");
        b.Property(x => x.Id).UseIdentityAlwaysColumn();
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.OfferOutcome).HasConversion<string>().HasMaxLength(16);
        // The trigger closes an operator's one open span by this index.
        b.HasIndex(x => x.OperatorId).IsUnique().HasFilter("ended_at IS NULL").HasDatabaseName("ix_operator_state_intervals_open");
        // Reports take the spans overlapping a period: those starting in it by the first, and each operator's span in
        // force at its start by the second (MetricsQuery.SpansTouching).
        b.HasIndex(x => new { x.StartedAt, x.OperatorId });
        b.HasIndex(x => new { x.OperatorId, x.StartedAt, x.Id }).HasDatabaseName("ix_operator_state_intervals_by_operator");
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.OperatorId).OnDelete(DeleteBehavior.Cascade);
    }
}
