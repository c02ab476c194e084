using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Accounts;

namespace Receptionist.Features.ApiKeys;

/// <summary>
/// An owner's key for programs: it reads that owner's businesses, calls and summaries, nothing else and nothing more.
/// The key is shown once; only its SHA-256 is kept (a random 256-bit key needs no slow hash), looked up by that hash.
/// </summary>
public sealed class ApiKey
{
    public const string Prefix = "rk_";
    public const int NameLength = 100;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid OwnerId { get; init; }
    public required string Name { get; init; }
    public required string Hash { get; init; }
    /// <summary>The key's first characters, so the owner can tell keys apart.</summary>
    public required string Hint { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    public static string NewKey() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.Property(x => x.Name).HasMaxLength(ApiKey.NameLength);
        b.Property(x => x.Hash).HasMaxLength(64);
        b.Property(x => x.Hint).HasMaxLength(16);
        b.HasIndex(x => x.Hash).IsUnique();
        b.HasIndex(x => x.OwnerId);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Cascade);
    }
}
