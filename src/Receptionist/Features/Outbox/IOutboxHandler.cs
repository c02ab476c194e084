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
