using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Stripe;

namespace Receptionist.Features.Billing;

/// <summary>
/// Lets a Stripe webhook through only when its Stripe-Signature header matches the body (HMAC-SHA256 with the
/// webhook secret, timestamp within five minutes), checked by Stripe.net. There is no bypass: without a
/// secret every webhook is refused. The verified event is handed to the handler through the HttpContext.
/// </summary>
public sealed class StripeSignatureFilter(
    IOptionsMonitor<StripeOptions> stripe, TimeProvider clock, ILogger<StripeSignatureFilter> logger) : IEndpointFilter
{
    public const string Header = "Stripe-Signature";
    /// <summary>Stripe's own default: an older signature may be a replay.</summary>
    const long ToleranceSeconds = 300;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var json = await reader.ReadToEndAsync(context.HttpContext.RequestAborted);
        var secret = stripe.CurrentValue.WebhookSecret;
        var signature = request.Headers[Header] is { Count: 1 } header ? header[0] : null;

        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(signature))
            return Refuse(string.IsNullOrEmpty(secret) ? "no Stripe:WebhookSecret is configured" : "no signature");
        try
        {
            EventUtility.ValidateSignature(json, signature, secret, ToleranceSeconds, clock.GetUtcNow().ToUnixTimeSeconds());
        }
        catch (StripeException e)
        {
            return Refuse(e.Message);
        }

        Event stripeEvent;
        try
        {
            stripeEvent = EventUtility.ParseEvent(json);
        }
        catch (StripeException e)
        {
            // A genuine event we cannot read safely (the endpoint's API version differs from Stripe.net's): fail loudly.
            logger.LogError("Refused a signed Stripe event: {Reason}", e.Message);
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unsupported Stripe event", detail: e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Signed, so from Stripe, but not an event we can read at all: retrying it would fail the same way for days.
            logger.LogError(e, "Acknowledged a signed Stripe payload that is not a readable event; nothing was applied");
            return TypedResults.Ok();
        }
        if (string.IsNullOrEmpty(stripeEvent.Id) || string.IsNullOrEmpty(stripeEvent.Type))
        {
            logger.LogError("Acknowledged a signed Stripe event without an id or type; nothing was applied");
            return TypedResults.Ok();
        }
        context.HttpContext.Items[typeof(Event)] = stripeEvent;
        return await next(context);
    }

    /// <summary>The event this filter verified for the current request.</summary>
    public static Event VerifiedEvent(HttpContext context) =>
        context.Items[typeof(Event)] as Event ?? throw new InvalidOperationException("The Stripe signature filter did not run.");

    object Refuse(string reason)
    {
        logger.LogWarning("Refused a Stripe webhook: {Reason}", reason);
        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid Stripe signature",
            detail: $"The {Header} header does not match this request.");
    }
}

/// <summary>
/// Handles each Stripe event once: the event id is recorded in the transaction that applies it, so a retried
/// delivery finds it and changes nothing. Every event about a subscription re-reads that subscription from
/// Stripe, so the state applied is the newest whatever order the events arrive in.
/// </summary>
public sealed class StripeEventProcessor(
    AppDbContext db, StripePaymentProvider stripe, SubscriptionLedger ledger, TimeProvider clock, ILogger<StripeEventProcessor> logger)
{
    /// <returns>False when the event had been processed already.</returns>
    public async Task<bool> ProcessAsync(Event stripeEvent, CancellationToken ct)
    {
        if (await db.Set<ProcessedStripeEvent>().AnyAsync(e => e.Id == stripeEvent.Id, ct))
            return false;

        var concerned = Concerned(stripeEvent);
        // Read before the transaction opens: no row lock is held across a call to Stripe.
        ProviderSubscription? current = null;
        try
        {
            current = concerned is null ? null : await stripe.GetSubscriptionAsync(concerned.Value.SubscriptionId, ct);
        }
        catch (PaymentProviderException e) when (e.InnerException is StripeException { HttpStatusCode: System.Net.HttpStatusCode.NotFound })
        {
            // Stripe does not know the subscription (deleted, or another account's): the event cannot be applied, ever.
            // It is recorded below as handled, so Stripe's retries find it done instead of failing for days.
            logger.LogWarning("Stripe event {EventId} ({Type}) names subscription {SubscriptionId}, which Stripe does not know; acknowledged, nothing applied",
                stripeEvent.Id, stripeEvent.Type, concerned!.Value.SubscriptionId);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // A concurrent delivery of the same event waits here for ours to commit, then inserts nothing.
        var recorded = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO stripe_events (id, type, received_at) VALUES ({stripeEvent.Id}, {stripeEvent.Type}, {clock.GetUtcNow()})
            ON CONFLICT (id) DO NOTHING
            """, ct);
        if (recorded == 0)
            return false;
        if (current is not null)
            await ledger.ApplyAsync(db, current, concerned!.Value.BusinessId, new DateTimeOffset(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc)), ct);
        else
            logger.LogDebug("Stripe event {Type} needs nothing from us", stripeEvent.Type);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>The subscription an event is about, and the business it names directly (a checkout does).</summary>
    static (string SubscriptionId, Guid? BusinessId)? Concerned(Event e) => (e.Type, e.Data.Object) switch
    {
        (EventTypes.CheckoutSessionCompleted, Stripe.Checkout.Session { Mode: "subscription", SubscriptionId: { } id } session) =>
            (id, Guid.TryParse(session.ClientReferenceId, out var business) ? business : null),
        (EventTypes.CustomerSubscriptionCreated or EventTypes.CustomerSubscriptionUpdated or EventTypes.CustomerSubscriptionDeleted
            or EventTypes.CustomerSubscriptionPaused or EventTypes.CustomerSubscriptionResumed, Stripe.Subscription subscription) =>
            (subscription.Id, null),
        (EventTypes.InvoicePaid or EventTypes.InvoicePaymentFailed,
            Invoice { Parent.SubscriptionDetails.SubscriptionId: { } id }) => (id, null),
        _ => null,
    };
}
