using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Calls;
using Receptionist.Features.Outbox;
using Receptionist.Features.Telegram;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Webhooks;

/// <summary>The events an owner can subscribe an endpoint to.</summary>
public static class OwnerEventTypes
{
    public const string CallAnswered = "call.answered";
    public const string CallMissed = "call.missed";
    public const string SummaryCreated = "summary.created";
    public const string CallBlocked = "call.blocked";
    public static readonly string[] All = [CallAnswered, CallMissed, SummaryCreated, CallBlocked];
}

/// <summary>A call as events describe it; <c>url</c> opens it in the owner's cabinet.</summary>
public sealed record EventCall(Guid Id, string CallerNumber, string? Outcome, DateTimeOffset ReceivedAt, DateTimeOffset? AnsweredAt,
    DateTimeOffset? EndedAt, int? WaitSeconds, Uri Url);

public sealed record EventSummary(string Outcome, string OutcomeLabel, IReadOnlyDictionary<string, string> Fields, string? Note);

/// <summary>What happened: the call, and its summary for summary.created.</summary>
public sealed record EventData(EventCall Call, EventSummary? Summary = null);

/// <summary>The JSON body every signed delivery carries; <c>id</c> is the same on every attempt and resend.</summary>
public sealed record OwnerEvent(string Id, string Type, long Created, Guid BusinessId, EventData Data, bool Test = false);

/// <summary>
/// Publishes an event of a business to every endpoint subscribed to it, and to its Telegram chat: one delivery row and one outbox message each,
/// added to the caller's DbContext, so the event is sent if and only if the change that caused it commits.
/// </summary>
public sealed class OwnerEvents(IOptions<AppOptions> app, TelegramNotifier telegram, TimeProvider clock)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public EventCall Describe(Call call) => new(call.Id, call.CallerNumber,
        call.Outcome is { } outcome ? JsonNamingPolicy.CamelCase.ConvertName(outcome.ToString()) : null,
        call.ReceivedAt, call.AnsweredAt, call.EndedAt, call.WaitSeconds,
        app.Value.Url($"/owner/#business={call.BusinessId}&call={call.Id}"));

    public async Task PublishAsync(AppDbContext db, string type, Guid businessId, EventData data, CancellationToken ct)
    {
        var endpoints = await db.Set<WebhookEndpoint>().Where(e => e.BusinessId == businessId).AsNoTracking().ToListAsync(ct);
        var now = clock.GetUtcNow();
        foreach (var endpoint in endpoints.Where(e => e.Events.Contains(type)))
            Enqueue(db, endpoint, NewEvent(type, businessId, data, now), now);
        await telegram.AddAsync(db, type, businessId, data, ct);
    }

    public OwnerEvent NewEvent(string type, Guid businessId, EventData data, DateTimeOffset now, bool test = false) =>
        new($"evt_{Guid.CreateVersion7(now):N}", type, now.ToUnixTimeSeconds(), businessId, data, test);

    /// <summary>A delivery of <paramref name="e"/> to <paramref name="endpoint"/>, sent through the outbox.</summary>
    public static WebhookDelivery Enqueue(AppDbContext db, WebhookEndpoint endpoint, OwnerEvent e, DateTimeOffset now)
    {
        var delivery = new WebhookDelivery
        {
            EndpointId = endpoint.Id, BusinessId = endpoint.BusinessId, EventId = e.Id, EventType = e.Type,
            Body = JsonSerializer.Serialize(e, Json), State = DeliveryState.Pending, CreatedAt = now,
        };
        db.Add(delivery);
        db.Add(OutboxMessage.Create(WebhookSender.OutboxKind, new WebhookJob(delivery.Id), now));
        return delivery;
    }

    public static OwnerEvent Read(string body) => JsonSerializer.Deserialize<OwnerEvent>(body, Json)!;
}

/// <summary>The outbox's note of a delivery to make.</summary>
public sealed record WebhookJob(Guid DeliveryId);
