using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Polly;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Telephony;

/// <summary>Twilio's Programmable Voice REST API (2010-04-01) over a plain HttpClient: no Twilio package is available.</summary>
public sealed class TwilioProvider(HttpClient http, IOptions<TwilioOptions> twilio, IOptions<AppOptions> app, TimeProvider clock)
    : ITelephonyProvider
{
    public const string VoicePath = "/telephony/twilio/voice";
    public const string StatusPath = "/telephony/twilio/status";

    // Marks a POST that is safe to repeat; see ShouldRetry.
    static readonly HttpRequestOptionsKey<bool> Idempotent = new("Receptionist.Telephony.Idempotent");

    public bool IsConfigured => twilio.Value.IsConfigured;

    public async Task<IReadOnlyList<string>> FindAvailableNumbersAsync(string countryCode, string? areaCode, CancellationToken ct)
    {
        var query = areaCode is null ? "" : "?AreaCode=" + Uri.EscapeDataString(areaCode);
        using var answer = await SendAsync(HttpMethod.Get, $"AvailablePhoneNumbers/{Uri.EscapeDataString(countryCode)}/Local.json{query}",
            form: null, idempotent: true, ct);
        return [.. answer.RootElement.GetProperty("available_phone_numbers").EnumerateArray()
            .Select(n => n.GetProperty("phone_number").GetString()!)];
    }

    public async Task<ProvisionedNumber> BuyNumberAsync(NumberToBuy number, string label, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            number.PhoneNumber is { } exact ? new("PhoneNumber", exact) : new("AreaCode", number.AreaCode!),
            new("FriendlyName", label),
            new("VoiceUrl", app.Value.Url(VoicePath).AbsoluteUri),
            new("VoiceMethod", "POST"),
            new("StatusCallback", app.Value.Url(StatusPath).AbsoluteUri),
            new("StatusCallbackMethod", "POST"),
        };
        using var answer = await SendAsync(HttpMethod.Post, "IncomingPhoneNumbers.json", form, idempotent: false, ct);
        return new ProvisionedNumber(answer.RootElement.GetProperty("phone_number").GetString()!,
            answer.RootElement.GetProperty("sid").GetString()!);
    }

    public async Task<ProvisionedNumber?> FindOwnedNumberAsync(string label, CancellationToken ct)
    {
        using var answer = await SendAsync(HttpMethod.Get, "IncomingPhoneNumbers.json?FriendlyName=" + Uri.EscapeDataString(label),
            form: null, idempotent: true, ct);
        return answer.RootElement.TryGetProperty("incoming_phone_numbers", out var numbers) && numbers.ValueKind == JsonValueKind.Array
            ? numbers.EnumerateArray().Select(n => new ProvisionedNumber(n.GetProperty("phone_number").GetString()!, n.GetProperty("sid").GetString()!))
                .FirstOrDefault()
            : null;
    }

    public async Task<string> PlaceCallAsync(OutgoingCall call, CancellationToken ct)
    {
        List<KeyValuePair<string, string>> form =
        [
            new("From", call.From),
            new("To", call.To),
            .. InstructionFields(call.Instructions),
            new("StatusCallback", app.Value.Url(StatusPath).AbsoluteUri),
            new("StatusCallbackMethod", "POST"),
            new("Timeout", call.TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ];
        using var answer = await SendAsync(HttpMethod.Post, "Calls.json", form, idempotent: false, ct);
        return answer.RootElement.GetProperty("sid").GetString()!;
    }

    // Not idempotent: a repeated redirect restarts the instructions (e.g. dials the operator twice).
    public async Task RedirectCallAsync(string callId, CallInstructions instructions, CancellationToken ct)
    {
        using var answer = await SendAsync(HttpMethod.Post, CallResource(callId), InstructionFields(instructions), idempotent: false, ct);
        // Twilio answers 21220 for a call that is over; should it answer with the ended call instead, that is the same.
        if (ReadCall(answer.RootElement) is { HasEnded: true } ended)
            throw new TelephonyException($"Call {callId} has already ended ({ended.Status}).", System.Net.HttpStatusCode.BadRequest,
                TelephonyException.CallNotInProgress, "Call is not in-progress. Cannot redirect.");
    }

    public async Task<ProviderCallRecord?> GetCallAsync(string callId, CancellationToken ct)
    {
        try
        {
            using var answer = await SendAsync(HttpMethod.Get, CallResource(callId), form: null, idempotent: true, ct);
            return ReadCall(answer.RootElement);
        }
        catch (TelephonyException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<ProviderCallRecord>> GetChildCallsAsync(string parentCallId, CancellationToken ct)
    {
        using var answer = await SendAsync(HttpMethod.Get, "Calls.json?ParentCallSid=" + Uri.EscapeDataString(parentCallId),
            form: null, idempotent: true, ct);
        return answer.RootElement.TryGetProperty("calls", out var calls) && calls.ValueKind == JsonValueKind.Array
            ? [.. calls.EnumerateArray().Select(ReadCall).OfType<ProviderCallRecord>()]
            : [];
    }

    /// <summary>Twilio's Call resource: sid, status, start_time and end_time (RFC 2822), duration (seconds, as a string).</summary>
    static ProviderCallRecord? ReadCall(JsonElement call)
    {
        string? Text(string name) => call.ValueKind == JsonValueKind.Object && call.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        DateTimeOffset? Time(string name) => TwilioTime.Parse(Text(name));
        if (Text("sid") is not { } sid || Text("status") is not { } status)
            return null;
        return new ProviderCallRecord(sid, status, Time("start_time"), Time("end_time"),
            int.TryParse(Text("duration"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null);
    }

    public async Task HangUpAsync(string callId, CancellationToken ct)
    {
        using var _ = await SendAsync(HttpMethod.Post, CallResource(callId), [new("Status", "completed")], idempotent: true, ct);
    }

    /// <summary>The Twilio Client identity an operator's console registers under and the bridge dials.</summary>
    public static string OperatorIdentity(Guid operatorId) => $"operator-{operatorId:N}";

    static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromHours(1);

    /// <summary>A Twilio Voice access token (HS256 JWT signed with the API key secret) allowing incoming calls only.</summary>
    public OperatorEndpointToken? CreateOperatorEndpointToken(Guid operatorId)
    {
        var options = twilio.Value;
        if (!options.CanIssueAccessTokens)
            return null;
        var identity = OperatorIdentity(operatorId);
        var now = clock.GetUtcNow();
        var expires = now + AccessTokenLifetime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.ApiKeySid,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.ApiKeySecret!)), SecurityAlgorithms.HmacSha256),
            AdditionalHeaderClaims = new Dictionary<string, object> { ["cty"] = "twilio-fpa;v=1" },
            Claims = new Dictionary<string, object>
            {
                ["jti"] = $"{options.ApiKeySid}-{now.ToUnixTimeSeconds()}",
                ["sub"] = options.AccountSid!,
                ["grants"] = new Dictionary<string, object>
                {
                    ["identity"] = identity,
                    ["voice"] = new Dictionary<string, object> { ["incoming"] = new Dictionary<string, object> { ["allow"] = true } },
                },
            },
        });
        return new OperatorEndpointToken(identity, token, expires);
    }

    static string CallResource(string callId) => $"Calls/{Uri.EscapeDataString(callId)}.json";

    static IEnumerable<KeyValuePair<string, string>> InstructionFields(CallInstructions instructions) =>
        instructions.Url is { } url
            ? [new("Url", url.AbsoluteUri), new("Method", "POST")]
            : [new("Twiml", instructions.Markup!.ToString())];

    async Task<JsonDocument> SendAsync(HttpMethod method, string resource, IEnumerable<KeyValuePair<string, string>>? form,
        bool idempotent, CancellationToken ct)
    {
        var options = twilio.Value;
        if (!options.IsConfigured)
            throw new InvalidOperationException("Twilio is not configured: set Twilio__AccountSid and Twilio__AuthToken.");

        using var request = new HttpRequestMessage(method, $"2010-04-01/Accounts/{Uri.EscapeDataString(options.AccountSid!)}/{resource}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.AccountSid}:{options.AuthToken}")));
        if (form is not null)
            request.Content = new FormUrlEncodedContent(form);
        request.Options.Set(Idempotent, idempotent);

        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw Refusal(method, resource, response, body);
        return JsonDocument.Parse(body);
    }

    // Twilio's errors look like {"code": 21211, "message": "...", "more_info": "...", "status": 400}.
    static TelephonyException Refusal(HttpMethod method, string resource, HttpResponseMessage response, string body)
    {
        int? code = null;
        string? message = null;
        try
        {
            using var error = JsonDocument.Parse(body);
            if (error.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (error.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number)
                    code = c.GetInt32();
                if (error.RootElement.TryGetProperty("message", out var m))
                    message = m.GetString();
            }
        }
        catch (JsonException)
        {
            // Not Twilio's JSON (a proxy's error page): the status alone has to do.
        }
        var what = $"Twilio answered {(int)response.StatusCode} to {method} {resource}";
        var detail = (message, code) switch
        {
            (null, null) => "",
            (_, null) => $": {message}",
            _ => $": {message} (code {code})",
        };
        return new TelephonyException(what + detail, response.StatusCode, code, message);
    }

    /// <summary>
    /// Retry policy for the standard resilience handler. GETs and requests marked idempotent retry on any transient
    /// failure; the rest (buying a number, placing or redirecting a call) only when the connection could not even be
    /// opened, since after that Twilio may have acted on the request even if we saw an error or a timeout.
    /// </summary>
    internal static bool ShouldRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome)
    {
        var repeatable = request is not null
            && (request.Method == HttpMethod.Get || request.Options.TryGetValue(Idempotent, out var idempotent) && idempotent);
        return repeatable
            ? HttpClientResiliencePredicates.IsTransient(outcome)
            : outcome.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
    }
}
