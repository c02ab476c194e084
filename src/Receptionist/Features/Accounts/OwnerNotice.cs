using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Accounts;

/// <summary>
/// An email the owner of a business has been sent about their account ("live", "usage-80:2026-11-01…"), by key: the
/// step that sends it may run again (a repeated webhook, a retried outbox delivery), and the owner is told once.
/// </summary>
public sealed class OwnerNotice
{
    public Guid BusinessId { get; init; }
    public string Key { get; init; } = "";
    public DateTimeOffset SentAt { get; init; }
}

sealed class OwnerNoticeConfiguration : IEntityTypeConfiguration<OwnerNotice>
{
    public void Configure(EntityTypeBuilder<OwnerNotice> b)
    {
        b.ToTable("owner_notices");
        b.HasKey(x => new { x.BusinessId, x.Key });
        b.Property(x => x.Key).HasMaxLength(100);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}
