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

    async Task AnswerAsync(HttpContext context)
    {
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
            ("POST", _) when CallPath().Match(path) is { Success: true } call =>
                (HttpStatusCode.OK, Call(call.Groups["sid"].Value, form.GetValueOrDefault("Status", "in-progress"), form)),
            ("POST", _) when IncomingNumbersPath().IsMatch(path) => (HttpStatusCode.Created, JsonSerializer.Serialize(new
            {
                sid = NewSid("PN"),
                phone_number = form.GetValueOrDefault("PhoneNumber") ?? $"+1{form.GetValueOrDefault("AreaCode", "415")}5550100",
                voice_url = form.GetValueOrDefault("VoiceUrl"),
                status_callback = form.GetValueOrDefault("StatusCallback"),
            })),
            ("GET", _) when AvailableNumbersPath().IsMatch(path) => (HttpStatusCode.OK, JsonSerializer.Serialize(new
            {
                available_phone_numbers = new[] { new { phone_number = "+74951234567" }, new { phone_number = "+74951234568" } },
            })),
            _ => (HttpStatusCode.NotFound, JsonSerializer.Serialize(new
            {
                code = 20404, message = "The requested resource was not found", status = 404,
            })),
        };
        await Answer(context, answer.Item1, answer.Item2);
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
