using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Webhooks;

/// <summary>
/// Delivers one webhook delivery from the outbox: signed JSON, or a CRM preset's requests, through the guarded client
/// (<see cref="OwnerUrlGuard"/>). Each attempt is written to the delivery log; a failure is retried with doubling waits
/// until <see cref="WebhookOptions.RetryFor"/> after the event, then dead-lettered. A 429 with Retry-After waits that long.
/// </summary>
sealed class WebhookSender(AppDbContext db, IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider clock,
    ILogger<WebhookSender> logger) : IOutboxHandler, IOutboxRetrySchedule
{
    public const string OutboxKind = "webhook";
    const int MaxErrorLength = 500;

    public DateTimeOffset? NextAttempt(OutboxMessage message, DateTimeOffset now)
    {
        var next = now + options.Value.RetryDelay(message.Attempts);
        return next <= message.CreatedAt + options.Value.RetryFor ? next : null;
    }

    public async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        var job = message.ReadPayload<WebhookJob>();
        var delivery = await db.Set<WebhookDelivery>().FirstOrDefaultAsync(d => d.Id == job.DeliveryId, ct);
        var endpoint = delivery is null ? null
            : await db.Set<WebhookEndpoint>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == delivery.EndpointId, ct);
        // The endpoint was removed (its deliveries with it), or this delivery already went out: nothing to send.
        if (delivery is null || endpoint is null || delivery.State == DeliveryState.Delivered)
            return;

        var now = clock.GetUtcNow();
        var http = clients.CreateClient(OwnerUrlGuard.ClientName);
        HttpResponseMessage? response = null;
        string? error = null;
        try
        {
            if (endpoint.Kind == WebhookKind.Signed)
                response = await http.SendAsync(SignedRequest(endpoint, delivery, now), ct);
            else
            {
                var outcome = await CrmPresets.SendAsync(http, endpoint, delivery, ct);
                (response, delivery.ExternalId) = (outcome.Response, outcome.ExternalId ?? delivery.ExternalId);
            }
            if (!response.IsSuccessStatusCode)
                error = $"HTTP {(int)response.StatusCode}: {await ShortBodyAsync(response, ct)}";
        }
        catch (HttpRequestException e) when (e.InnerException is RefusedAddressException refused)
        {
            error = $"Refused: {refused.Message}";
        }
        catch (HttpRequestException e)
        {
            error = $"Could not connect: {e.Message}";
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"No answer within {options.Value.Timeout.TotalSeconds:0} s.";
        }

        delivery.Attempts++;
        delivery.LastAttemptAt = now;
        delivery.LastStatusCode = response is null ? null : (int)response.StatusCode;
        delivery.LastError = error is null ? null : error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];
        delivery.State = error is null ? DeliveryState.Delivered
            : NextAttempt(message, now) is null ? DeliveryState.DeadLettered : DeliveryState.Retrying;
        if (error is null)
            delivery.DeliveredAt = now;
        await db.SaveChangesAsync(CancellationToken.None);
        if (error is null)
            return;
        logger.LogInformation("Webhook delivery {DeliveryId} to endpoint {EndpointId} failed: {Error}", delivery.Id, endpoint.Id, error);
        if (response is { StatusCode: HttpStatusCode.TooManyRequests, Headers.RetryAfter: { } retryAfter }
            && (retryAfter.Delta ?? retryAfter.Date - now) is { } wait && wait > TimeSpan.Zero)
            throw new OutboxRetryLaterException(wait, error);
        throw new WebhookDeliveryFailedException(error);
    }

    HttpRequestMessage SignedRequest(WebhookEndpoint endpoint, WebhookDelivery delivery, DateTimeOffset now)
    {
        var secrets = endpoint.PreviousSecret is { } previous && endpoint.PreviousSecretExpiresAt > now
            ? new[] { endpoint.Secret, previous } : [endpoint.Secret];
        return new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
            Headers =
            {
                { WebhookSignature.Header, WebhookSignature.Sign(delivery.Body, now, secrets) },
                { "Receptionist-Event-Id", delivery.EventId },
                { "User-Agent", "Receptionist-Webhooks/1" },
            },
        };
    }

    static async Task<string> ShortBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return body.Length <= 200 ? body : body[..200];
    }
}

public sealed class WebhookDeliveryFailedException(string message) : Exception(message);
