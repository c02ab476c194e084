using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Scenarios;

/// <summary>One saved scenario of a business. Never changed after it is written: each save is a new version.</summary>
public sealed class ScenarioVersion
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    public int Number { get; init; }
    /// <summary>The built-in it was copied from, when the owner picked one.</summary>
    public string? BuiltInKey { get; init; }
    public required string Source { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The compiled-template cache key: a version's text never changes, so its id is enough.</summary>
    public static string CacheKey(Guid versionId) => $"version:{versionId}";
}

sealed class ScenarioVersionConfiguration : IEntityTypeConfiguration<ScenarioVersion>
{
    public void Configure(EntityTypeBuilder<ScenarioVersion> b)
    {
        b.ToTable("scenario_versions");
        b.HasIndex(x => new { x.BusinessId, x.Number }).IsUnique();
        b.Property(x => x.BuiltInKey).HasMaxLength(64);
        b.Property(x => x.Source).HasMaxLength(ScenarioLimits.MaxSourceLength);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}
