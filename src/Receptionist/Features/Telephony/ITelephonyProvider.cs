using System.Net;

namespace Receptionist.Features.Telephony;

/// <summary>
/// What the product asks of the telephony provider. Webhooks the provider sends back (incoming calls,
/// status changes) arrive at /telephony/twilio/voice and /telephony/twilio/status.
/// Every operation throws <see cref="TelephonyException"/> when the provider refuses or fails, and
/// <see cref="InvalidOperationException"/> when <see cref="IsConfigured"/> is false.
/// </summary>
public interface ITelephonyProvider
{
    /// <summary>False when no credentials are configured (development): callers use their fallback, e.g. the number pool.</summary>
    bool IsConfigured { get; }

    /// <summary>Local numbers on sale in a country (ISO 3166 alpha-2, e.g. "RU"), in E.164.</summary>
    Task<IReadOnlyList<string>> FindAvailableNumbersAsync(string countryCode, string? areaCode, CancellationToken ct);

    /// <summary>Buys a number whose incoming calls and status changes come to this application's webhooks.</summary>
    Task<ProvisionedNumber> BuyNumberAsync(NumberToBuy number, CancellationToken ct);

    /// <summary>Places an outgoing call (e.g. the forwarding check); returns the provider's call id.</summary>
    Task<string> PlaceCallAsync(OutgoingCall call, CancellationToken ct);

    /// <summary>Replaces what a live call is doing with new instructions (bridge a queued caller, move it to the fallback).</summary>
    Task RedirectCallAsync(string callId, CallInstructions instructions, CancellationToken ct);

    /// <summary>Ends a call; ending one that already ended is harmless.</summary>
    Task HangUpAsync(string callId, CancellationToken ct);

    /// <summary>
    /// A short-lived credential with which an operator's console registers as the endpoint the provider rings when
    /// a claimed caller is bridged; null when the provider is not set up for browser endpoints.
    /// </summary>
    OperatorEndpointToken? CreateOperatorEndpointToken(Guid operatorId);
}

/// <param name="Identity">The name the bridge dials (the same one the console registers under).</param>
public sealed record OperatorEndpointToken(string Identity, string Token, DateTimeOffset ExpiresAt);

/// <summary>A number now owned through the provider: E.164 and the provider's id for it.</summary>
public sealed record ProvisionedNumber(string Number, string ProviderId);

/// <summary>Either an exact number (as found by a search) or any number in an area code.</summary>
public sealed record NumberToBuy
{
    public string? PhoneNumber { get; private init; }
    public string? AreaCode { get; private init; }

    public static NumberToBuy Exactly(string e164) => new() { PhoneNumber = e164 };
    public static NumberToBuy InAreaCode(string areaCode) => new() { AreaCode = areaCode };
}

/// <param name="From">Our line, E.164.</param>
/// <param name="To">The number to call, E.164.</param>
/// <param name="Instructions">What happens once the call is answered.</param>
/// <param name="TimeoutSeconds">How long to let it ring.</param>
public sealed record OutgoingCall(string From, string To, CallInstructions Instructions, int TimeoutSeconds = 30);

/// <summary>What a call does next: TwiML the provider fetches from a URL, or TwiML given inline.</summary>
public sealed record CallInstructions
{
    public Uri? Url { get; private init; }
    public TwiMLResponse? Markup { get; private init; }

    /// <summary>The provider POSTs the call's details to this URL and follows the TwiML it answers.</summary>
    public static CallInstructions Fetch(Uri url) => new() { Url = url };

    public static CallInstructions Inline(TwiMLResponse twiml) => new() { Markup = twiml };
}

/// <summary>
/// The provider refused a request or failed. <see cref="ProviderCode"/> is Twilio's error code
/// (https://www.twilio.com/docs/api/errors), null when the answer carried none (e.g. a 5xx).
/// </summary>
public sealed class TelephonyException(string message, HttpStatusCode statusCode, int? providerCode, string? providerMessage)
    : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    public int? ProviderCode { get; } = providerCode;
    public string? ProviderMessage { get; } = providerMessage;
}
