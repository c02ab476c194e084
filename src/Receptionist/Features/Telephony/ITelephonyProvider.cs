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

    /// <summary>Buys a number whose incoming calls and status changes come to this application's webhooks, labelled
    /// with <paramref name="label"/> so that a purchase repeated after a crash can find it.</summary>
    Task<ProvisionedNumber> BuyNumberAsync(NumberToBuy number, string label, CancellationToken ct);

    /// <summary>A number already bought under <paramref name="label"/>; null when there is none.</summary>
    Task<ProvisionedNumber?> FindOwnedNumberAsync(string label, CancellationToken ct);

    /// <summary>Places an outgoing call (e.g. the forwarding check); returns the provider's call id.</summary>
    Task<string> PlaceCallAsync(OutgoingCall call, CancellationToken ct);

    /// <summary>
    /// Replaces what a live call is doing with new instructions (bridge a queued caller, move it to the fallback).
    /// Throws a <see cref="TelephonyException"/> whose <see cref="TelephonyException.CallIsOver"/> is true when the
    /// call has already ended.
    /// </summary>
    Task RedirectCallAsync(string callId, CallInstructions instructions, CancellationToken ct);

    /// <summary>The provider's own record of a call; null when the provider does not know it.</summary>
    Task<ProviderCallRecord?> GetCallAsync(string callId, CancellationToken ct);

    /// <summary>The calls a call placed (an operator's leg dialled for a caller), newest first.</summary>
    Task<IReadOnlyList<ProviderCallRecord>> GetChildCallsAsync(string parentCallId, CancellationToken ct);

    /// <summary>Ends a call; ending one that already ended is harmless.</summary>
    Task HangUpAsync(string callId, CancellationToken ct);

    /// <summary>
    /// A short-lived credential with which an operator's console registers as the endpoint the provider rings when
    /// a claimed caller is bridged; null when the provider is not set up for browser endpoints.
    /// </summary>
    OperatorEndpointToken? CreateOperatorEndpointToken(Guid operatorId);
}

/// <summary>A call as the provider recorded it.</summary>
/// <param name="Status">queued, ringing, in-progress, completed, busy, failed, no-answer or canceled.</param>
/// <param name="Duration">Seconds the call was connected, once it has ended.</param>
public sealed record ProviderCallRecord(string Id, string Status, DateTimeOffset? StartTime, DateTimeOffset? EndTime, int? Duration)
{
    public bool HasEnded => Status is "completed" or "busy" or "failed" or "no-answer" or "canceled";

    /// <summary>Ended without ever connecting, on the provider's side (not a caller who hung up).</summary>
    public bool Failed => Status is "busy" or "failed" or "no-answer";

    /// <summary>Someone answered this call: it was connected for some time.</summary>
    public bool WasAnswered => Status is "in-progress" || (Status == "completed" && Duration > 0);

    /// <summary>When it was answered: its end minus the time it was connected.</summary>
    public DateTimeOffset? AnsweredAt => EndTime is { } end && Duration is { } seconds ? end.AddSeconds(-seconds) : StartTime;
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

    /// <summary>Twilio's 21220: "Call is not in-progress. Cannot redirect."</summary>
    public const int CallNotInProgress = 21220;

    /// <summary>The call this request was about has ended: nothing can be done with it any more.</summary>
    /// <summary>The provider refused, failed, could not be reached or did not answer in time.</summary>
    public static bool IsProviderFailure(Exception e) =>
        // ExecutionRejectedException: the resilience pipeline's own refusals (timeout, open circuit).
        e is TelephonyException or HttpRequestException or TimeoutException or Polly.ExecutionRejectedException
            or OperationCanceledException;

    public bool CallIsOver => ProviderCode == CallNotInProgress || (StatusCode == HttpStatusCode.NotFound && ProviderCode == 20404);
}
