using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// Plays Twilio's REST API on a loopback port: records every request and answers the way Twilio does for
/// calls, incoming numbers and number searches. Point Twilio:ApiBaseUrl at <see cref="BaseUrl"/>.
/// </summary>
public sealed partial class FakeTwilioApi : IAsyncDisposable
{
    readonly ConcurrentQueue<RecordedRequest> requests = new();
    readonly ConcurrentQueue<(HttpStatusCode Status, string Body)> failures = new();
    readonly ConcurrentDictionary<string, CallRecord> calls = new();
    readonly ConcurrentDictionary<string, CallRecord> childCalls = new();
    readonly ConcurrentDictionary<string, (string Number, string Sid)> ownedNumbers = new();
    volatile bool unreachable;
    LoopbackServer? server;

    public string BaseUrl => server?.BaseUrl ?? throw new InvalidOperationException("Not started.");

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. requests];

    public async Task StartAsync() => server = await LoopbackServer.StartAsync(AnswerAsync);

    /// <summary>The next request gets this answer instead (queued: call twice to fail two requests).
    /// With a code, the body is Twilio's error JSON.</summary>
    public void FailNext(HttpStatusCode status, int? code = null, string? message = null) =>
        failures.Enqueue((status, code is null ? "" : JsonSerializer.Serialize(new
        {
            code,
            message,
            more_info = $"https://www.twilio.com/docs/errors/{code}",
            status = (int)status,
        })));

    /// <summary>The provider's own record of a call, as its Calls resource will answer (and a redirect of it will find).</summary>
    public void SetCall(string sid, string status, DateTimeOffset? start = null, DateTimeOffset? end = null, int? duration = null) =>
        calls[sid] = new CallRecord(sid, status, start, end, duration, null);

    /// <summary>A call that <paramref name="parentSid"/> dialled (the operator's leg).</summary>
    public void SetChildCall(string parentSid, string status, DateTimeOffset? start = null, DateTimeOffset? end = null, int? duration = null)
    {
        var sid = NewSid("CA");
        childCalls[sid] = new CallRecord(sid, status, start, end, duration, parentSid);
    }

    /// <summary>While true, every request is dropped without an answer (a network failure, as the client sees it).</summary>
    public bool Unreachable { get => unreachable; set => unreachable = value; }

    async Task AnswerAsync(HttpContext context)
    {
        if (unreachable)
        {
            context.Abort();
            return;
        }
        var request = context.Request;
        var form = request.HasFormContentType
            ? (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString())
            : [];
        var (user, password) = BasicCredentials(request.Headers.Authorization.ToString());
        requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value!, request.QueryString.Value ?? "", form, user, password));

        if (failures.TryDequeue(out var failure))
        {
            await Answer(context, failure.Status, failure.Body);
            return;
        }

        var path = request.Path.Value!;
        var answer = (request.Method, path) switch
        {
            ("POST", _) when CallsPath().IsMatch(path) => (HttpStatusCode.Created, Call(NewSid("CA"), "queued", form)),
            // Twilio refuses to redirect a call that is over.
            ("POST", _) when CallPath().Match(path) is { Success: true } call && form.ContainsKey("Url")
                && calls.TryGetValue(call.Groups["sid"].Value, out var over) && over.Status is not ("queued" or "ringing" or "in-progress") =>
                (HttpStatusCode.BadRequest, JsonSerializer.Serialize(new
                {
                    code = 21220, message = "Call is not in-progress. Cannot redirect.", status = 400,
                })),
            ("POST", _) when CallPath().Match(path) is { Success: true } call =>
                (HttpStatusCode.OK, Call(call.Groups["sid"].Value, form.GetValueOrDefault("Status", "in-progress"), form)),
            ("GET", _) when CallPath().Match(path) is { Success: true } call =>
                calls.TryGetValue(call.Groups["sid"].Value, out var record)
                    ? (HttpStatusCode.OK, record.ToJson())
                    : (HttpStatusCode.NotFound, JsonSerializer.Serialize(new { code = 20404, message = "The requested resource was not found", status = 404 })),
            ("GET", _) when CallsPath().IsMatch(path) => (HttpStatusCode.OK, "{\"calls\":[" + string.Join(",", childCalls.Values
                .Where(c => c.ParentSid == request.Query["ParentCallSid"].ToString()).Select(c => c.ToJson())) + "]}"),
            ("POST", _) when IncomingNumbersPath().IsMatch(path) => (HttpStatusCode.Created, BuyNumber(form)),
            ("GET", _) when IncomingNumbersPath().IsMatch(path) => (HttpStatusCode.OK, JsonSerializer.Serialize(new
            {
                incoming_phone_numbers = ownedNumbers.TryGetValue(request.Query["FriendlyName"].ToString(), out var owned)
                    ? new[] { new { sid = owned.Sid, phone_number = owned.Number } }
                    : [],
            })),
            // Numbers on sale: the next two that nobody has bought.
            ("GET", _) when AvailableNumbersPath().IsMatch(path) => (HttpStatusCode.OK, JsonSerializer.Serialize(new
            {
                available_phone_numbers = Enumerable.Range(0, 1000).Select(i => $"+7495123{4567 + i}")
                    .Where(n => !ownedNumbers.Values.Any(o => o.Number == n)).Take(2).Select(n => new { phone_number = n }),
            })),
            _ => (HttpStatusCode.NotFound, JsonSerializer.Serialize(new
            {
                code = 20404, message = "The requested resource was not found", status = 404,
            })),
        };
        await Answer(context, answer.Item1, answer.Item2);
    }

    string BuyNumber(Dictionary<string, string> form)
    {
        var number = form.GetValueOrDefault("PhoneNumber") ?? $"+1{form.GetValueOrDefault("AreaCode", "415")}5550100";
        var sid = NewSid("PN");
        if (form.GetValueOrDefault("FriendlyName") is { } label)
            ownedNumbers[label] = (number, sid);
        return JsonSerializer.Serialize(new
        {
            sid,
            phone_number = number,
            friendly_name = form.GetValueOrDefault("FriendlyName"),
            voice_url = form.GetValueOrDefault("VoiceUrl"),
            status_callback = form.GetValueOrDefault("StatusCallback"),
        });
    }

    /// <summary>A call as Twilio's Calls resource shows it: times in RFC 2822, the duration as a string.</summary>
    sealed record CallRecord(string Sid, string Status, DateTimeOffset? Start, DateTimeOffset? End, int? Duration, string? ParentSid)
    {
        public string ToJson() => JsonSerializer.Serialize(new
        {
            sid = Sid,
            status = Status,
            parent_call_sid = ParentSid,
            start_time = Start?.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", System.Globalization.CultureInfo.InvariantCulture),
            end_time = End?.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", System.Globalization.CultureInfo.InvariantCulture),
            duration = Duration?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    static async Task Answer(HttpContext context, HttpStatusCode status, string body)
    {
        context.Response.StatusCode = (int)status;
        if (body.Length == 0)
            return;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    static string Call(string sid, string status, Dictionary<string, string> form) =>
        JsonSerializer.Serialize(new { sid, status, from = form.GetValueOrDefault("From"), to = form.GetValueOrDefault("To") });

    static string NewSid(string prefix) => prefix + Guid.NewGuid().ToString("N");

    static (string? User, string? Password) BasicCredentials(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
            return (null, null);
        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':', 2);
        return (pair[0], pair.ElementAtOrDefault(1));
    }

    [GeneratedRegex(@"^/2010-04-01/Accounts/[^/]+/Calls\.json$")]
    private static partial Regex CallsPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/[^/]+/Calls/(?<sid>[^/]+)\.json$")]
    private static partial Regex CallPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/[^/]+/IncomingPhoneNumbers\.json$")]
    private static partial Regex IncomingNumbersPath();

    [GeneratedRegex(@"^/2010-04-01/Accounts/[^/]+/AvailablePhoneNumbers/[A-Z]{2}/Local\.json$")]
    private static partial Regex AvailableNumbersPath();

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}

/// <param name="Form">Form fields; a repeated field's values are joined with commas.</param>
/// <param name="User">The basic-auth user (Twilio: the account sid), null without basic auth.</param>
public sealed record RecordedRequest(
    string Method, string Path, string Query, IReadOnlyDictionary<string, string> Form, string? User, string? Password);
