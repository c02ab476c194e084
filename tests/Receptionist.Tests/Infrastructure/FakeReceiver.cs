using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// Plays the far end of an owner's integration on a loopback port (a webhook receiver, amoCRM, Bitrix24, the Telegram
/// Bot API): records every request, answers with the scripted failures first, then with the answer for its path.
/// </summary>
public sealed class FakeReceiver : IAsyncDisposable
{
    public sealed record Request(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);
    /// <param name="Delay">How long the far end holds the request before answering (a long poll with nothing new).</param>
    public sealed record Answer(HttpStatusCode Status, string Body = "{}", IReadOnlyDictionary<string, string>? Headers = null,
        TimeSpan? Delay = null);

    readonly ConcurrentQueue<Request> requests = new();
    readonly ConcurrentDictionary<string, ConcurrentQueue<Answer>> scripted = new();
    readonly Func<Request, Answer> answer;
    LoopbackServer? server;

    FakeReceiver(Func<Request, Answer> answer) => this.answer = answer;

    public string BaseUrl => server?.BaseUrl ?? throw new InvalidOperationException("Not started.");

    public IReadOnlyList<Request> Requests => [.. requests];

    public static async Task<FakeReceiver> StartAsync(Func<Request, Answer>? answer = null)
    {
        var receiver = new FakeReceiver(answer ?? (_ => new Answer(HttpStatusCode.OK)));
        receiver.server = await LoopbackServer.StartAsync(receiver.AnswerAsync);
        return receiver;
    }

    /// <summary>The next request to <paramref name="pathAndQuery"/> gets this answer instead (queued: call twice to fail
    /// two requests); requests to other paths, from other tests' deliveries, are not affected.</summary>
    public void AnswerNext(string pathAndQuery, HttpStatusCode status, string body = "{}", IReadOnlyDictionary<string, string>? headers = null) =>
        scripted.GetOrAdd(pathAndQuery, _ => new()).Enqueue(new Answer(status, body, headers));

    /// <summary>Waits for a request that matches, failing after a deadline with what did arrive.</summary>
    public async Task<Request> EventuallyAsync(Func<Request, bool> match, string what, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var found = requests.Where(match).ToList();
            if (found.Count >= count)
                return found[count - 1];
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"No {what} arrived in time; received: {string.Join(" | ", requests.Select(r => $"{r.Method} {r.PathAndQuery}"))}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    async Task AnswerAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var request = new Request(context.Request.Method, context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            await reader.ReadToEndAsync());
        requests.Enqueue(request);
        var reply = scripted.TryGetValue(request.PathAndQuery, out var queue) && queue.TryDequeue(out var next) ? next : answer(request);
        if (reply.Delay is { } delay)
            await Task.Delay(delay, context.RequestAborted);
        context.Response.StatusCode = (int)reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
            context.Response.Headers[name] = value;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(reply.Body);
    }

    public ValueTask DisposeAsync() => server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
