namespace Receptionist.Features.Outbox;

/// <summary>
/// Delivers outbox messages of one kind; registered with <see cref="OutboxEndpoints.AddOutboxHandler{THandler}"/>.
/// Throwing means "not delivered, try again later". A handler may run again for a message it already
/// delivered (the service died before recording it), so it passes a stable id along where the far end
/// can use one (an email's Message-Id, Stripe's idempotency key).
/// </summary>
public interface IOutboxHandler
{
    Task DeliverAsync(OutboxMessage message, CancellationToken ct);
}

/// <summary>
/// A handler whose messages keep their own retry schedule (say, "for 24 hours") instead of Outbox:MaxAttempts and the
/// shared backoff.
/// </summary>
public interface IOutboxRetrySchedule
{
    /// <summary>When to try <paramref name="message"/> again after its latest failure, or null to dead-letter it.</summary>
    DateTimeOffset? NextAttempt(OutboxMessage message, DateTimeOffset now);
}

/// <summary>Thrown by a handler when the far end said when to try again (HTTP 429 with Retry-After, Telegram's
/// retry_after): the next attempt waits exactly that long, whatever the backoff would say.</summary>
public sealed class OutboxRetryLaterException(TimeSpan after, string message) : Exception(message)
{
    public TimeSpan After { get; } = after;
}
