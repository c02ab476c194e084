using System.Globalization;

namespace Receptionist.Features.Telephony;

/// <summary>
/// The form Twilio posts to voice webhooks (incoming call, status callback, Enqueue/Dial/Record actions, wait URL).
/// Take it as a plain handler parameter, without <c>[FromForm]</c>: <see cref="BindAsync"/> reads the form.
/// The constructor's fields come with every voice webhook and a request without one answers 400; which of the
/// others come depends on the webhook. See https://www.twilio.com/docs/voice/twiml#request-parameters.
/// </summary>
public sealed record TwilioVoiceRequest(string CallSid, string AccountSid, string From, string To, string CallStatus, string Direction)
{
    /// <summary>The number the caller dialled before it was forwarded to our line, when the carrier tells.</summary>
    public string? ForwardedFrom { get; init; }
    public string? CallerName { get; init; }
    public string? ParentCallSid { get; init; }

    // Status callback.
    public int? CallDuration { get; init; }
    /// <summary>When the reported event happened (status callbacks); null on other webhooks.</summary>
    public DateTimeOffset? Timestamp { get; init; }
    public int? SequenceNumber { get; init; }

    // Enqueue action and wait URL.
    public string? QueueResult { get; init; }
    public int? QueueTime { get; init; }
    public int? QueuePosition { get; init; }

    // Dial action.
    public string? DialCallStatus { get; init; }
    public string? DialCallSid { get; init; }
    public int? DialCallDuration { get; init; }

    // Gather action: the keys pressed.
    public string? Digits { get; init; }

    // Record action.
    public string? RecordingUrl { get; init; }
    public string? RecordingSid { get; init; }
    public int? RecordingDuration { get; init; }

    /// <summary>
    /// Binds from the form. Not [FromForm]: the framework's form binding rejects an incomplete form before endpoint
    /// filters run, so an unsigned request would get 400 instead of the signature filter's 403. Returning null
    /// instead makes a 400 that minimal APIs give only after the filters have passed.
    /// </summary>
    public static async ValueTask<TwilioVoiceRequest?> BindAsync(HttpContext context)
    {
        if (await TwilioForm.ReadAsync(context.Request) is not { } form)
            return null;
        string? Optional(string name) => form[name] is { Count: > 0 } value && value[0] is { Length: > 0 } text ? text : null;
        int? Number(string name) => int.TryParse(Optional(name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        if (Optional(nameof(CallSid)) is not { } callSid || Optional(nameof(AccountSid)) is not { } accountSid
            || Optional(nameof(From)) is not { } from || Optional(nameof(To)) is not { } to
            || Optional(nameof(CallStatus)) is not { } callStatus || Optional(nameof(Direction)) is not { } direction)
            return null;

        return new TwilioVoiceRequest(callSid, accountSid, from, to, callStatus, direction)
        {
            ForwardedFrom = Optional(nameof(ForwardedFrom)),
            CallerName = Optional(nameof(CallerName)),
            ParentCallSid = Optional(nameof(ParentCallSid)),
            CallDuration = Number(nameof(CallDuration)),
            Timestamp = TwilioTime.Parse(Optional(nameof(Timestamp))),
            SequenceNumber = Number(nameof(SequenceNumber)),
            QueueResult = Optional(nameof(QueueResult)),
            QueueTime = Number(nameof(QueueTime)),
            QueuePosition = Number(nameof(QueuePosition)),
            DialCallStatus = Optional(nameof(DialCallStatus)),
            DialCallSid = Optional(nameof(DialCallSid)),
            DialCallDuration = Number(nameof(DialCallDuration)),
            Digits = Optional(nameof(Digits)),
            RecordingUrl = Optional(nameof(RecordingUrl)),
            RecordingSid = Optional(nameof(RecordingSid)),
            RecordingDuration = Number(nameof(RecordingDuration)),
        };
    }
}

static class TwilioForm
{
    /// <summary>The posted form; empty for a request without one (Twilio may GET); null when the body is not a readable form.</summary>
    public static async Task<IFormCollection?> ReadAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
            return request.ContentLength is null or 0 ? FormCollection.Empty : null;
        try
        {
            return await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}

/// <summary>Twilio writes times as RFC 2822 ("Mon, 16 Aug 2010 03:45:01 +0000").</summary>
static class TwilioTime
{
    public static DateTimeOffset? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var t = text.Trim();
        // .NET's zone pattern wants "+00:00"; RFC 2822 writes "+0000".
        if (t.Length > 5 && t[^5] is '+' or '-' && t[^4..].All(char.IsAsciiDigit))
            t = t[..^2] + ":" + t[^2..];
        return DateTimeOffset.TryParseExact(t, "ddd, dd MMM yyyy HH:mm:ss zzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            || DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at)
            ? at : null;
    }
}
