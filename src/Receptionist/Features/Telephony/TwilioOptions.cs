using System.ComponentModel.DataAnnotations;

namespace Receptionist.Features.Telephony;

/// <summary>Twilio credentials and REST base (section "Twilio"). Both credentials may be absent in development.</summary>
public sealed class TwilioOptions : IValidatableObject
{
    public string? AccountSid { get; set; }

    /// <summary>Authenticates REST calls and is the key Twilio signs webhooks with.</summary>
    public string? AuthToken { get; set; }

    [Required, Url]
    public string ApiBaseUrl { get; set; } = "https://api.twilio.com";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccountSid) && !string.IsNullOrWhiteSpace(AuthToken);

    // Neither credential is fine (development); only one of them is a configuration mistake worth failing the start for.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(AccountSid) != string.IsNullOrWhiteSpace(AuthToken))
            yield return new ValidationResult("Set both Twilio:AccountSid and Twilio:AuthToken, or neither.",
                [string.IsNullOrWhiteSpace(AccountSid) ? nameof(AccountSid) : nameof(AuthToken)]);
    }
}
