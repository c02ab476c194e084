using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Receptionist.Features.Accounts;

/// <summary>
/// An owner's consent to the processing of their personal data (152-FZ, art. 9): given separately and explicitly at
/// sign-up, kept with when, to which version of the policy and from which client address, as proof. It also records
/// that the owner instructs us to process their callers' data on their behalf (art. 6 part 3).
/// </summary>
public sealed class PersonalDataConsent
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid UserId { get; init; }
    public DateTimeOffset GivenAt { get; init; }
    public required string PolicyVersion { get; init; }
    /// <summary>The client address as the app sees it (behind the known proxies, the real client); null if unknown.</summary>
    public string? ClientAddress { get; init; }
    public bool ProcessesCallersData { get; init; }
}

sealed class PersonalDataConsentConfiguration : IEntityTypeConfiguration<PersonalDataConsent>
{
    public void Configure(EntityTypeBuilder<PersonalDataConsent> b)
    {
        b.ToTable("personal_data_consents");
        b.Property(x => x.PolicyVersion).HasMaxLength(32);
        b.Property(x => x.ClientAddress).HasMaxLength(64);
        b.HasIndex(x => x.UserId);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
