using MimeKit;
using MimeKit.Utils;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Email;

/// <summary>
/// One email as it waits in the outbox. <paramref name="MessageId"/> is fixed when it is enqueued, so
/// a copy sent again after a crash carries the same Message-Id and mail clients show it once.
/// </summary>
public sealed record EmailMessage(IReadOnlyList<string> To, string Subject, string TextBody, string? HtmlBody, string MessageId)
{
    public const string OutboxKind = "email";

    /// <summary>A message with rendered content and a new Message-Id.</summary>
    public static EmailMessage Create(IReadOnlyList<string> to, RenderedEmail content) =>
        new(to, content.Subject, content.TextBody, content.HtmlBody, MimeUtils.GenerateMessageId());
}

public static class EmailOutbox
{
    extension(OutboxMessage)
    {
        /// <summary>
        /// An outbox row that sends <paramref name="message"/>; add it to the DbContext that holds the change
        /// it reports, so one SaveChanges (one transaction) writes both. Bad addresses fail here, not later.
        /// </summary>
        public static OutboxMessage Email(EmailMessage message, DateTimeOffset now)
        {
            if (message.To.Count == 0)
                throw new ArgumentException("An email needs at least one recipient.", nameof(message));
            foreach (var address in message.To)
                if (!MailboxAddress.TryParse(address, out _))
                    throw new ArgumentException($"'{address}' is not an email address.", nameof(message));
            return OutboxMessage.Create(EmailMessage.OutboxKind, message, now);
        }
    }
}
