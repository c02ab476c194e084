using System.ComponentModel.DataAnnotations;
using MailKit.Security;
using MimeKit;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Email;

/// <summary>Configuration section <c>Smtp</c>. With no <see cref="Host"/>, mail is written to <see cref="PickupDirectory"/>.</summary>
public sealed class SmtpOptions : IValidatableObject
{
    public const string DefaultFrom = "Receptionist <receptionist@localhost>";

    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>None, StartTls (the default: never send credentials in clear), SslOnConnect (port 465), Auto or StartTlsWhenAvailable.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>Authenticates when set.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>A mailbox, e.g. <c>Receptionist &lt;calls@example.com&gt;</c>; required with a host.</summary>
    public string? From { get; set; }

    /// <summary>Where .eml files go when no host is set; relative paths start at the content root.</summary>
    [Required]
    public string PickupDirectory { get; set; } = Path.Combine(".data", "mail");

    [TimeSpanRange("00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Host) && string.IsNullOrWhiteSpace(From))
            yield return new("Smtp:From is required when Smtp:Host is set.", [nameof(From)]);
        if (!string.IsNullOrWhiteSpace(From) && !MailboxAddress.TryParse(From, out _))
            yield return new($"Smtp:From '{From}' is not a mailbox address.", [nameof(From)]);
    }
}
