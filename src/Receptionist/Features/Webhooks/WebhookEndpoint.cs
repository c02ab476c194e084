using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Data;
using Receptionist.Features.Businesses;

namespace Receptionist.Features.Webhooks;

/// <summary>How a delivery is shaped for the receiver.</summary>
public enum WebhookKind
{
    /// <summary>Our JSON event, signed like Stripe's.</summary>
    Signed,
    /// <summary>amoCRM: a lead with its contact (POST /api/v4/leads/complex) and the summary as a note; a long-lived token.</summary>
    AmoCrm,
    /// <summary>Bitrix24: crm.lead.add on the portal's incoming-webhook URL (the URL holds the credentials).</summary>
    Bitrix24,
}

/// <summary>Where a business's events go: an owner's URL, the events it takes, and the secret that signs them.</summary>
public sealed class WebhookEndpoint
{
    public const int UrlLength = 500;
    public const int MaxPerBusiness = 10;

    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid BusinessId { get; init; }
    public WebhookKind Kind { get; init; }
    public required string Url { get; init; }
    public List<string> Events { get; init; } = [];
    /// <summary>Signs every delivery (kind Signed); shown to the owner when created or rotated.</summary>
    public required string Secret { get; set; }
    /// <summary>After a rotation the old secret also signs deliveries for a day, so the receiver can switch without losses.</summary>
    public string? PreviousSecret { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }
    /// <summary>amoCRM's long-lived access token (kind AmoCrm).</summary>
    public string? AccessToken { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public static string NewSecret() => "whsec_" + Base64Url(RandomNumberGenerator.GetBytes(24));

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> b)
    {
        b.ToTable("webhook_endpoints");
        b.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Url).HasMaxLength(WebhookEndpoint.UrlLength);
        b.Property(x => x.Events).HasJsonConversion();
        b.Property(x => x.Secret).HasMaxLength(64);
        b.Property(x => x.PreviousSecret).HasMaxLength(64);
        b.Property(x => x.AccessToken).HasMaxLength(WebhookRequestLimits.TokenLength);
        b.HasIndex(x => x.BusinessId);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}

public enum DeliveryState { Pending, Retrying, Delivered, DeadLettered }

/// <summary>
/// One event on its way to one endpoint: what the delivery log shows. The body is fixed when the event happens, so every
/// attempt and every "send again" carries the same event id and bytes; the outbox drives the attempts.
/// </summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid EndpointId { get; init; }
    public Guid BusinessId { get; init; }
    public required string EventId { get; init; }
    public required string EventType { get; init; }
    public required string Body { get; init; }
    public DeliveryState State { get; set; }
    public int Attempts { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    /// <summary>What a CRM created in a first step (amoCRM's lead id), so a retry does not create it twice.</summary>
    public string? ExternalId { get; set; }
}

sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("webhook_deliveries");
        b.Property(x => x.EventId).HasMaxLength(40);
        b.Property(x => x.EventType).HasMaxLength(40);
        b.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.LastError).HasMaxLength(500);
        b.Property(x => x.ExternalId).HasMaxLength(64);
        // The delivery log lists an endpoint's newest deliveries.
        b.HasIndex(x => new { x.EndpointId, x.CreatedAt });
        b.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}
