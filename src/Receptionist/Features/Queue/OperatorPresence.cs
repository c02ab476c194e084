using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Data;
using Receptionist.Features.Accounts;

namespace Receptionist.Features.Queue;

public enum PresenceState
{
    Offline,
    /// <summary>Ready to be offered the next call (or to take one).</summary>
    Available,
    /// <summary>A call is ringing in this operator's console.</summary>
    Offered,
    /// <summary>On a call.</summary>
    Busy,
    /// <summary>The call ended; writing its summary (ends on its own after Routing:WrapUpSeconds).</summary>
    WrapUp,
    /// <summary>Not taking calls for a while; see <see cref="AwayReason"/>.</summary>
    Away,
}

public enum AwayReason
{
    Break,
    Training,
    /// <summary>Set by routing after Routing:MissedOffersBeforeAway offers in a row went unanswered.</summary>
    MissedOffers,
}

public sealed class OperatorPresence
{
    public Guid OperatorId { get; init; }
    public PresenceState State { get; set; }
    /// <summary>When the state last changed: for an available operator, idle since (longest idle is offered first).</summary>
    public DateTimeOffset UpdatedAt { get; set; }
    public AwayReason? AwayReason { get; set; }
    /// <summary>Offers missed in a row; an answer starts the count again.</summary>
    public int MissedOffers { get; set; }
    /// <summary>Not offered a call before this (the cooldown after declining).</summary>
    public DateTimeOffset? OfferableAt { get; set; }
    /// <summary>Languages the operator answers in (BCP 47, e.g. ru-RU): a business's calls go first to these.</summary>
    public string[] Languages { get; set; } = [DefaultLanguage];
    /// <summary>Businesses the operator was trained for: among those who speak the language, offered first.</summary>
    public Guid[] TrainedBusinessIds { get; set; } = [];

    public const string DefaultLanguage = "ru-RU";

    /// <summary>Sets an operator's state in the caller's transaction (insert or update in one statement).</summary>
    public static Task SetAsync(AppDbContext db, Guid operatorId, PresenceState state, DateTimeOffset now, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO operator_presence (operator_id, state, updated_at) VALUES ({operatorId}, {state.ToString()}, {now})
            ON CONFLICT (operator_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, away_reason = NULL
            """, ct);
}

sealed class OperatorPresenceConfiguration : IEntityTypeConfiguration<OperatorPresence>
{
    public void Configure(EntityTypeBuilder<OperatorPresence> b)
    {
        b.ToTable("operator_presence");
        b.HasKey(x => x.OperatorId);
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.AwayReason).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Languages).HasDefaultValueSql("'{ru-RU}'");
        b.Property(x => x.TrainedBusinessIds).HasDefaultValueSql("'{}'");
        b.Property(x => x.MissedOffers).HasDefaultValue(0);
        // Routing looks for the longest-idle available operator: a partial index holds just those, in idle order.
        b.HasIndex(x => x.UpdatedAt).HasFilter("state = 'Available'").HasDatabaseName("ix_operator_presence_available");
        b.HasOne<AppUser>().WithOne().HasForeignKey<OperatorPresence>(x => x.OperatorId).OnDelete(DeleteBehavior.Cascade);
    }
}
