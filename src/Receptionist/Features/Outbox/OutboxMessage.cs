using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Receptionist.Features.Outbox;

/// <summary>
/// Work that must reach an outside system (an email, a usage report). A feature adds one to the
/// DbContext beside the change that caused it, so its own SaveChanges writes both or neither;
/// <see cref="OutboxProcessor"/> delivers it later through the <see cref="IOutboxHandler"/> of its kind.
/// </summary>
public sealed class OutboxMessage
{
    OutboxMessage() { }

    public Guid Id { get; private set; }
    public string Kind { get; private set; } = "";
    /// <summary>The handler's input as JSON (web defaults: camelCase).</summary>
    public string Payload { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    /// <summary>Counted when a delivery starts, so a message that crashes the service still runs out of attempts.</summary>
    public int Attempts { get; private set; }
    /// <summary>When it is due; while a delivery runs, the end of that instance's lease.</summary>
    public DateTimeOffset NextAttemptAt { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? DeliveredAt { get; private set; }
    public DateTimeOffset? DeadLetteredAt { get; private set; }

    public static OutboxMessage Create<TPayload>(string kind, TPayload payload, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Kind = kind,
        Payload = JsonSerializer.Serialize(payload, JsonSerializerOptions.Web),
        CreatedAt = now,
        NextAttemptAt = now,
    };

    /// <summary>A message that cannot be delivered at all: dead-lettered from the start, with the reason.</summary>
    public static OutboxMessage Undeliverable<TPayload>(string kind, TPayload payload, DateTimeOffset now, string reason)
    {
        var message = Create(kind, payload, now);
        message.DeadLetteredAt = now;
        message.LastError = reason.Length <= 2000 ? reason : reason[..2000];
        return message;
    }

    public TPayload ReadPayload<TPayload>() =>
        JsonSerializer.Deserialize<TPayload>(Payload, JsonSerializerOptions.Web)
        ?? throw new JsonException($"Outbox message {Id} has an empty payload.");
}

sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("outbox_messages");
        builder.Property(m => m.Id).ValueGeneratedNever();
        builder.Property(m => m.Kind).HasMaxLength(50);
        builder.Property(m => m.Payload).HasColumnType("jsonb");
        // The pick-up query reads only what is still to do, oldest due first.
        builder.HasIndex(m => m.NextAttemptAt).HasDatabaseName("ix_outbox_messages_due")
            .HasFilter("delivered_at IS NULL AND dead_lettered_at IS NULL");
        builder.HasIndex(m => m.DeadLetteredAt).HasDatabaseName("ix_outbox_messages_dead")
            .HasFilter("dead_lettered_at IS NOT NULL");
        // The retention purge deletes the oldest delivered messages.
        builder.HasIndex(m => m.DeliveredAt).HasDatabaseName("ix_outbox_messages_delivered")
            .HasFilter("delivered_at IS NOT NULL");
    }
}
