using System.Globalization;
using System.Reflection;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http.Metadata;

namespace Receptionist.Features.Telephony;

/// <summary>
/// The TwiML verbs and nouns the call flow uses (https://www.twilio.com/docs/voice/twiml), written with XLinq so
/// every value is escaped. Usage: <c>return TwiML.Response(TwiML.Enqueue("calls", waitUrl: …));</c>
/// Null optional arguments are left out, so Twilio's own defaults apply (all callback methods default to POST).
/// </summary>
public static class TwiML
{
    public static TwiMLResponse Response(params IEnumerable<XElement> verbs) =>
        new(new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("Response", verbs)));

    /// <summary>Puts the caller in a queue; <paramref name="waitUrl"/> answers what they hear while waiting,
    /// <paramref name="action"/> is requested when they leave it (bridged, left, hung up).</summary>
    public static XElement Enqueue(string queue, Uri? waitUrl = null, Uri? action = null) =>
        Verb("Enqueue", queue, ("waitUrl", waitUrl), ("action", action));

    /// <param name="loop">How many times to play; 0 plays until something else happens (a ringback tone).</param>
    public static XElement Play(Uri url, int? loop = null) => Verb("Play", url.AbsoluteUri, ("loop", loop));

    public static XElement Say(string text, string? language = null, string? voice = null) =>
        Verb("Say", text, ("language", language), ("voice", voice));

    public static XElement Redirect(Uri url) => Verb("Redirect", url.AbsoluteUri);

    /// <summary>Takes the caller out of the queue; the Enqueue action URL decides what happens next.</summary>
    public static XElement Leave() => new("Leave");

    /// <param name="noun">One of <see cref="Client"/>, <see cref="Number"/> or <see cref="Queue"/>.</param>
    /// <param name="answerOnBridge">Keep the caller hearing ringing until the far end answers.</param>
    public static XElement Dial(XElement noun, string? callerId = null, int? timeout = null, Uri? action = null, bool? answerOnBridge = null) =>
        Verb("Dial", noun, ("callerId", callerId), ("timeout", timeout), ("action", action), ("answerOnBridge", answerOnBridge));

    /// <summary>A browser or app endpoint registered under this identity (an operator's console).</summary>
    /// <param name="statusCallback">Told when this leg is answered (the moment a call's wait ends).</param>
    public static XElement Client(string identity, Uri? statusCallback = null) =>
        Verb("Client", identity, ("statusCallbackEvent", statusCallback is null ? null : "answered"), ("statusCallback", statusCallback));

    public static XElement Number(string e164) => Verb("Number", e164);

    /// <summary>Inside Dial: a named conference room. Without <paramref name="startConferenceOnEnter"/> the participant
    /// waits (hearing Twilio's hold music) until one who starts it joins; with <paramref name="endConferenceOnExit"/>
    /// their leaving ends it for everyone.</summary>
    public static XElement Conference(string name, bool? startConferenceOnEnter = null, bool? endConferenceOnExit = null,
        bool? beep = null) =>
        Verb("Conference", name, ("startConferenceOnEnter", startConferenceOnEnter), ("endConferenceOnExit", endConferenceOnExit),
            ("beep", beep));

    /// <summary>Collects keypresses while <paramref name="prompt"/> plays; <paramref name="action"/> gets Digits. With no
    /// input before <paramref name="timeout"/> seconds, the verbs after it run.</summary>
    public static XElement Gather(XElement prompt, int numDigits, Uri action, int? timeout = null) =>
        new("Gather", new XAttribute("input", "dtmf"), new XAttribute("numDigits", Format(numDigits)),
            new XAttribute("action", Format(action)), timeout is null ? null : new XAttribute("timeout", Format(timeout)), prompt);

    /// <summary>Inside Dial: bridges to the caller at the head of the queue; <paramref name="url"/> is played to that
    /// caller just before the bridge and may answer TwiML.</summary>
    public static XElement Queue(string name, Uri? url = null) => Verb("Queue", name, ("url", url));

    /// <param name="maxLength">Seconds.</param>
    /// <param name="action">Requested when the recording ends, with RecordingUrl.</param>
    /// <param name="recordingStatusCallback">Requested when the recording file is available.</param>
    public static XElement Record(int? maxLength = null, Uri? action = null, Uri? recordingStatusCallback = null, bool? playBeep = null) =>
        Verb("Record", null, ("maxLength", maxLength), ("action", action),
            ("recordingStatusCallback", recordingStatusCallback), ("playBeep", playBeep));

    public static XElement Pause(int? length = null) => Verb("Pause", null, ("length", length));

    public static XElement Hangup() => new("Hangup");

    /// <param name="reason">"rejected" (the default) or "busy".</param>
    public static XElement Reject(string? reason = null) => Verb("Reject", null, ("reason", reason));

    static XElement Verb(string name, object? content, params (string Name, object? Value)[] attributes) =>
        new(name,
            attributes.Where(a => a.Value is not null).Select(a => new XAttribute(a.Name, Format(a.Value!))),
            content);

    static string Format(object value) => value switch
    {
        Uri uri => uri.AbsoluteUri,
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };
}

/// <summary>A TwiML document, answered as text/xml; also usable inline (<see cref="CallInstructions.Inline"/>).</summary>
public sealed class TwiMLResponse(XDocument document) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    public const string MediaType = "text/xml";

    public XDocument Document { get; } = document;

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => MediaType + "; charset=utf-8";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
            Document.Save(writer);
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = ContentType;
        httpContext.Response.ContentLength = buffer.Length;
        await httpContext.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), httpContext.RequestAborted);
    }

    /// <summary>The document without declaration or indentation, as the REST API's Twiml parameter takes it.</summary>
    public override string ToString() => Document.Root!.ToString(SaveOptions.DisableFormatting);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [MediaType]));
}
