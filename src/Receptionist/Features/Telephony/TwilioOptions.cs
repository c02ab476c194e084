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

    /// <summary>An API key (SK…) and its secret sign the access tokens with which operators' consoles receive calls.</summary>
    public string? ApiKeySid { get; set; }

    public string? ApiKeySecret { get; set; }

    public bool CanIssueAccessTokens => IsConfigured && !string.IsNullOrWhiteSpace(ApiKeySid) && !string.IsNullOrWhiteSpace(ApiKeySecret);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccountSid) && !string.IsNullOrWhiteSpace(AuthToken);

    // Neither credential is fine (development); only one of them is a configuration mistake worth failing the start for.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(AccountSid) != string.IsNullOrWhiteSpace(AuthToken))
            yield return new ValidationResult("Set both Twilio:AccountSid and Twilio:AuthToken, or neither.",
                [string.IsNullOrWhiteSpace(AccountSid) ? nameof(AccountSid) : nameof(AuthToken)]);
        if (string.IsNullOrWhiteSpace(ApiKeySid) != string.IsNullOrWhiteSpace(ApiKeySecret))
            yield return new ValidationResult("Set both Twilio:ApiKeySid and Twilio:ApiKeySecret, or neither.",
                [string.IsNullOrWhiteSpace(ApiKeySid) ? nameof(ApiKeySid) : nameof(ApiKeySecret)]);
        else if (ApiKeySecret is { Length: > 0 and < 32 })
            yield return new ValidationResult("Twilio:ApiKeySecret is shorter than an API key secret (32 characters).", [nameof(ApiKeySecret)]);
    }
}
