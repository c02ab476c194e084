using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;

namespace Receptionist.Features.Blocking;

/// <summary>
/// An answered call the operator summarised as spam. Within the period's fair-use allowance it is not billed
/// (<see cref="Billed"/> false, and the call's Billable cleared); beyond it, it is billed like any call.
/// </summary>
public sealed class SpamMark
{
    public Guid CallId { get; init; }
    public Guid BusinessId { get; init; }
    public bool Billed { get; init; }
    public DateTimeOffset MarkedAt { get; init; }
}

sealed class SpamMarkConfiguration : IEntityTypeConfiguration<SpamMark>
{
    public void Configure(EntityTypeBuilder<SpamMark> b)
    {
        b.ToTable("spam_marks");
        b.HasKey(x => x.CallId);
        b.HasIndex(x => new { x.BusinessId, x.MarkedAt });
        b.HasOne<Call>().WithOne().HasForeignKey<SpamMark>(x => x.CallId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Restrict);
    }
}
