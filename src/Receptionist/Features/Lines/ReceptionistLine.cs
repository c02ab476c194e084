using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Lines;

/// <summary>A number of ours that a business forwards its calls to; at most one business per line.</summary>
public sealed class ReceptionistLine
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string Number { get; init; }
    /// <summary>The provider's id for the number when we bought it through the provider.</summary>
    public string? ProviderSid { get; init; }
    public Guid? BusinessId { get; set; }
    public DateTimeOffset AddedAt { get; init; }
    public DateTimeOffset? AssignedAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
}

sealed class ReceptionistLineConfiguration : IEntityTypeConfiguration<ReceptionistLine>
{
    public void Configure(EntityTypeBuilder<ReceptionistLine> b)
    {
        b.ToTable("receptionist_lines");
        b.Property(x => x.Number).HasMaxLength(16);
        // The incoming-call webhook finds the business by the dialled line.
        b.HasIndex(x => x.Number).IsUnique();
        b.HasIndex(x => x.BusinessId).IsUnique();
        // Free-line pick-up scans only unassigned, active lines, oldest first.
        b.HasIndex(x => x.AddedAt).HasFilter("business_id IS NULL AND retired_at IS NULL").HasDatabaseName("ix_receptionist_lines_free");
        b.Property(x => x.ProviderSid).HasMaxLength(64);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Restrict);
    }
}
