using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Data;
using Receptionist.Features.Accounts;

namespace Receptionist.Features.Queue;

public enum PresenceState
{
    Offline,
    /// <summary>Ready to take the next call.</summary>
    Available,
    /// <summary>On a call.</summary>
    Busy,
    /// <summary>The call ended; writing its summary.</summary>
    WrapUp,
}

public sealed class OperatorPresence
{
    public Guid OperatorId { get; init; }
    public PresenceState State { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Sets an operator's state in the caller's transaction (insert or update in one statement).</summary>
    public static Task SetAsync(AppDbContext db, Guid operatorId, PresenceState state, DateTimeOffset now, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO operator_presence (operator_id, state, updated_at) VALUES ({operatorId}, {state.ToString()}, {now})
            ON CONFLICT (operator_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
            """, ct);

    /// <summary>The state as the API spells it (available, busy, wrapUp, offline).</summary>
}

sealed class OperatorPresenceConfiguration : IEntityTypeConfiguration<OperatorPresence>
{
    public void Configure(EntityTypeBuilder<OperatorPresence> b)
    {
        b.ToTable("operator_presence");
        b.HasKey(x => x.OperatorId);
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.HasOne<AppUser>().WithOne().HasForeignKey<OperatorPresence>(x => x.OperatorId).OnDelete(DeleteBehavior.Cascade);
    }
}
