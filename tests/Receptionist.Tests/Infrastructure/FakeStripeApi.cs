using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// Plays Stripe's REST API on a loopback port: records every request and answers with Stripe-shaped JSON for
/// Checkout sessions, customer portal sessions, subscriptions (as a test set them) and meter events.
/// Point Stripe:ApiBaseUrl at <see cref="BaseUrl"/>. Hosted pages (checkout, portal) are served here too.
/// </summary>
public sealed class FakeStripeApi : IAsyncDisposable
{
    readonly ConcurrentQueue<StripeRequest> requests = new();
    readonly ConcurrentDictionary<string, JsonObject> subscriptions = new();
    LoopbackServer? server;

    public string BaseUrl => server?.BaseUrl ?? throw new InvalidOperationException("Not started.");

    public IReadOnlyList<StripeRequest> Requests => [.. requests];

    public async Task StartAsync() => server = await LoopbackServer.StartAsync(AnswerAsync);

    /// <summary>Sets what GET /v1/subscriptions/{id} answers and returns that object (also usable as an event's data).</summary>
    public JsonObject SetSubscription(string id, string customer, Guid? businessId, string status, string priceId,
        DateTimeOffset periodStart, DateTimeOffset periodEnd)
    {
        JsonObject Item(string itemId, string price) => new()
        {
            ["id"] = itemId, ["object"] = "subscription_item", ["subscription"] = id, ["quantity"] = 1,
            ["current_period_start"] = periodStart.ToUnixTimeSeconds(), ["current_period_end"] = periodEnd.ToUnixTimeSeconds(),
            ["price"] = new JsonObject { ["id"] = price, ["object"] = "price", ["currency"] = "rub" },
        };
        var subscription = new JsonObject
        {
            ["id"] = id, ["object"] = "subscription", ["customer"] = customer, ["status"] = status, ["currency"] = "rub",
            ["metadata"] = businessId is null ? new JsonObject() : new JsonObject { ["business_id"] = businessId.ToString() },
            ["items"] = new JsonObject
            {
                ["object"] = "list", ["has_more"] = false, ["url"] = $"/v1/subscription_items?subscription={id}",
                ["data"] = new JsonArray(Item("si_" + id, priceId), Item("si_overage_" + id, priceId + "_overage")),
            },
        };
        subscriptions[id] = subscription;
        return (JsonObject)subscription.DeepClone();
    }

    async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        var form = request.HasFormContentType
            ? (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString())
            : [];
        var path = request.Path.Value!;
        requests.Enqueue(new StripeRequest(request.Method, path, form,
            request.Headers.Authorization.ToString(), request.Headers["Idempotency-Key"].ToString()));

        var (status, body) = (request.Method, path) switch
        {
            ("POST", "/v1/checkout/sessions") => Session("cs_test_", "checkout.session", "/checkout/", form),
            ("POST", "/v1/billing_portal/sessions") => Session("bps_test_", "billing_portal.session", "/portal/", form),
            ("GET", _) when path.StartsWith("/v1/subscriptions/", StringComparison.Ordinal) =>
                subscriptions.TryGetValue(path["/v1/subscriptions/".Length..], out var subscription)
                    ? (HttpStatusCode.OK, subscription.ToJsonString())
                    : NotFound("subscription"),
            ("POST", "/v1/billing/meter_events") => (HttpStatusCode.OK, new JsonObject
            {
                ["object"] = "billing.meter_event", ["livemode"] = false,
                ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["event_name"] = form.GetValueOrDefault("event_name"), ["identifier"] = form.GetValueOrDefault("identifier"),
                ["timestamp"] = long.Parse(form.GetValueOrDefault("timestamp", "0")),
                ["payload"] = new JsonObject
                {
                    ["stripe_customer_id"] = form.GetValueOrDefault("payload[stripe_customer_id]"),
                    ["value"] = form.GetValueOrDefault("payload[value]"),
                },
            }.ToJsonString()),
            ("GET", _) when path.StartsWith("/checkout/", StringComparison.Ordinal) || path.StartsWith("/portal/", StringComparison.Ordinal) =>
                (HttpStatusCode.OK, ""),
            _ => NotFound("resource"),
        };
        context.Response.StatusCode = (int)status;
        if (path.StartsWith("/v1/", StringComparison.Ordinal))
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
        }
        else
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync("<!doctype html><title>Stripe</title><h1>Оплата</h1>");
        }
    }

    (HttpStatusCode, string) Session(string prefix, string kind, string pagePath, Dictionary<string, string> form)
    {
        var id = prefix + Guid.NewGuid().ToString("N");
        return (HttpStatusCode.OK, new JsonObject
        {
            ["id"] = id, ["object"] = kind, ["livemode"] = false,
            ["mode"] = form.GetValueOrDefault("mode"), ["customer"] = form.GetValueOrDefault("customer"),
            ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
            ["url"] = BaseUrl + pagePath + id,
        }.ToJsonString());
    }

    static (HttpStatusCode, string) NotFound(string what) => (HttpStatusCode.NotFound, JsonSerializer.Serialize(new
    {
        error = new { type = "invalid_request_error", code = "resource_missing", message = $"No such {what}" },
    }));

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}

/// <param name="Form">Stripe.net's form fields with their bracketed names, e.g. <c>line_items[0][price]</c>.</param>
public sealed record StripeRequest(
    string Method, string Path, IReadOnlyDictionary<string, string> Form, string Authorization, string IdempotencyKey);
