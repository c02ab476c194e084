using MimeKit.Utils;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Email;

/// <summary>
/// One email as it waits in the outbox. <paramref name="MessageId"/> is fixed when it is enqueued, so
/// a copy sent again after a crash carries the same Message-Id and mail clients show it once.
/// </summary>
/// <param name="Skipped">Stored recipients that cannot be sent to, left out with the reason (admins see it in the outbox).</param>
public sealed record EmailMessage(IReadOnlyList<string> To, string Subject, string TextBody, string? HtmlBody, string MessageId,
    IReadOnlyList<string>? Skipped = null)
{
    public const string OutboxKind = "email";

    /// <summary>
    /// A message with rendered content and a new Message-Id, to the recipients it can go to: an address stored before
    /// the rules were this strict is skipped, so the others still get the email.
    /// </summary>
    public static EmailMessage Create(IReadOnlyList<string> to, RenderedEmail content)
    {
        var usable = to.Where(EmailAddresses.IsUsable).ToList();
        var skipped = to.Except(usable).Select(a => $"{a}: not an address our mail can be sent to").ToList();
        return new(usable, content.Subject, content.TextBody, content.HtmlBody, MimeUtils.GenerateMessageId(),
            skipped.Count == 0 ? null : skipped);
    }
}

public static class EmailOutbox
{
    extension(OutboxMessage)
    {
        /// <summary>
        /// An outbox row that sends <paramref name="message"/>; add it to the DbContext that holds the change
        /// it reports, so one SaveChanges (one transaction) writes both. Building it never fails: an email with no
        /// recipient it can go to is dead-lettered at once with the reason, for admins to see, and the change that
        /// caused it (a call's ending, a summary) still commits.
        /// </summary>
        public static OutboxMessage Email(EmailMessage message, DateTimeOffset now) =>
            message.To.Count == 0
                ? OutboxMessage.Undeliverable(EmailMessage.OutboxKind, message, now,
                    "No recipient this email can be sent to" + (message.Skipped is { Count: > 0 } skipped ? ": " + string.Join("; ", skipped) : "."))
                : OutboxMessage.Create(EmailMessage.OutboxKind, message, now);
    }
}
