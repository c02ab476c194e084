using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Billing;

public enum SubscriptionStatus
{
    /// <summary>Never subscribed, or the first payment has not gone through.</summary>
    None,
    Active,
    /// <summary>A payment failed; calls are still answered until <see cref="Subscription.GraceUntil"/>.</summary>
    PastDue,
    Canceled,
}

/// <summary>A business's subscription as the payment provider last told us (one row per business).</summary>
public sealed class Subscription
{
    /// <summary>
    /// The condition the call flow's raw SQL uses for "may this business's calls be answered at @now"
    /// (on the <c>subscriptions</c> row of the business; no row means no).
    /// </summary>
    public const string AnswersCallsSql = "status = 'Active' OR (status = 'PastDue' AND grace_until > @now)";

    /// <summary>The same rule as <see cref="AnswersCallsSql"/>, for LINQ queries.</summary>
    public static Expression<Func<Subscription, bool>> AnswersCallsAt(DateTimeOffset now) =>
        s => s.Status == SubscriptionStatus.Active || (s.Status == SubscriptionStatus.PastDue && s.GraceUntil > now);

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    /// <summary>A key of Billing:Plans; null until the provider has told us which price was bought.</summary>
    public string? PlanKey { get; set; }
    public string? ProviderCustomerId { get; set; }
    public string? ProviderSubscriptionId { get; set; }
    public SubscriptionStatus Status { get; set; }
    public DateTimeOffset? CurrentPeriodStart { get; set; }
    public DateTimeOffset? CurrentPeriodEnd { get; set; }
    /// <summary>Set when the subscription falls past due: calls are answered until then.</summary>
    public DateTimeOffset? GraceUntil { get; set; }
    /// <summary>When the provider created the newest event applied here; older events are stale and ignored.</summary>
    public DateTimeOffset? ProviderEventAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

sealed class SubscriptionConfiguration : IEntityTypeConfiguration<Subscription>
{
    public void Configure(EntityTypeBuilder<Subscription> b)
    {
        b.ToTable("subscriptions");
        b.HasIndex(x => x.BusinessId).IsUnique();
        b.Property(x => x.PlanKey).HasMaxLength(40);
        b.Property(x => x.ProviderCustomerId).HasMaxLength(255);
        b.Property(x => x.ProviderSubscriptionId).HasMaxLength(255);
        // Webhooks find the row by the provider's subscription id.
        b.HasIndex(x => x.ProviderSubscriptionId);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>A Stripe event id already handled: a retried delivery finds it and changes nothing.</summary>
public sealed class ProcessedStripeEvent
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
}

sealed class ProcessedStripeEventConfiguration : IEntityTypeConfiguration<ProcessedStripeEvent>
{
    public void Configure(EntityTypeBuilder<ProcessedStripeEvent> b)
    {
        b.ToTable("stripe_events");
        b.Property(x => x.Id).HasMaxLength(255).ValueGeneratedNever();
        b.Property(x => x.Type).HasMaxLength(100);
    }
}
