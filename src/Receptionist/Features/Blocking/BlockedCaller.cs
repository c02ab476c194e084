using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Blocking;

/// <summary>A number whose calls a business does not take, until <see cref="ExpiresAt"/> if set.</summary>
public sealed class BlockedCaller
{
    public const int NoteLength = 200;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    /// <summary>E.164, as the provider reports the caller.</summary>
    public required string Number { get; init; }
    public string? Note { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

sealed class BlockedCallerConfiguration : IEntityTypeConfiguration<BlockedCaller>
{
    public void Configure(EntityTypeBuilder<BlockedCaller> b)
    {
        b.ToTable("blocked_callers");
        b.Property(x => x.Number).HasMaxLength(32);
        b.Property(x => x.Note).HasMaxLength(BlockedCaller.NoteLength);
        // The incoming-call webhook's screen is one lookup of this index; blocking a number twice updates the one row.
        b.HasIndex(x => new { x.BusinessId, x.Number }).IsUnique();
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}
