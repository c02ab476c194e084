using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Email;

/// <summary>Delivers outbox emails over SMTP with MailKit, or as .eml files when no SMTP host is configured.</summary>
sealed class EmailSender(
    IOptions<SmtpOptions> options,
    SmtpConnections connections,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<EmailSender> logger) : IOutboxHandler
{
    readonly SmtpOptions smtp = options.Value;

    public async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        var email = message.ReadPayload<EmailMessage>();
        if (email.Skipped is { Count: > 0 } skipped)
            logger.LogWarning("Email {MessageId} leaves out recipients it cannot be sent to: {Skipped}", email.MessageId, skipped);
        using var mime = ToMime(email);
        if (string.IsNullOrWhiteSpace(smtp.Host))
            await WriteToPickupDirectoryAsync(mime, email.MessageId, ct);
        else
            await connections.SendAsync(smtp.Host, mime, ct);
        logger.LogInformation("Email {MessageId} delivered to {Count} recipient(s)", email.MessageId, email.To.Count);
    }

    MimeMessage ToMime(EmailMessage email)
    {
        var body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody };
        var mime = new MimeMessage
        {
            Subject = email.Subject,
            MessageId = email.MessageId,
            Date = time.GetUtcNow(),
            Body = body.ToMessageBody(),
        };
        mime.From.Add(MailboxAddress.Parse(smtp.From ?? SmtpOptions.DefaultFrom));
        mime.To.AddRange(email.To.Select(MailboxAddress.Parse));
        return mime;
    }

    async Task WriteToPickupDirectoryAsync(MimeMessage mime, string messageId, CancellationToken ct)
    {
        var directory = Path.Combine(environment.ContentRootPath, smtp.PickupDirectory);
        Directory.CreateDirectory(directory);
        // Named by Message-Id, so a repeated delivery overwrites its own file; written aside, then moved, so
        // whoever watches the folder never reads half a message.
        var name = string.Concat(messageId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '@' ? c : '_'));
        var path = Path.Combine(directory, name + ".eml");
        var partial = path + ".partial";
        await mime.WriteToAsync(partial, ct);
        File.Move(partial, path, overwrite: true);
    }
}

/// <summary>
/// Sends to the recipients the server accepts: one address the server refuses (a mailbox that no longer exists) must
/// not keep the email from the others. When the server accepts none, MailKit still fails the send.
/// </summary>
sealed class RecipientTolerantSmtpClient(ILogger logger) : SmtpClient
{
    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, MailKit.Net.Smtp.SmtpResponse response) =>
        logger.LogWarning("The mail server refused recipient {Recipient} of {MessageId}: {Code} {Response}",
            mailbox.Address, message.MessageId, (int)response.StatusCode, response.Response);
}
