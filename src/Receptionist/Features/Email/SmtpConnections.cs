using System.Collections.Concurrent;
using System.Diagnostics;
using MailKit;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;
using Receptionist.Features.Outbox;

namespace Receptionist.Features.Email;

/// <summary>
/// SMTP connections kept open between deliveries: connecting, TLS and authentication cost more than sending one
/// email, and the outbox sends batches. At most one idle connection per parallel delivery is kept, and none longer
/// than <see cref="MaxIdle"/> (well inside the idle time servers allow), so a connection is rarely found closed; one
/// that is, or that failed a send, is never used again.
/// </summary>
sealed class SmtpConnections(IOptions<SmtpOptions> options, IOptions<OutboxOptions> outbox, ILogger<EmailSender> logger)
    : IAsyncDisposable
{
    static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(10);
    readonly SmtpOptions smtp = options.Value;
    readonly ConcurrentStack<(RecipientTolerantSmtpClient Client, long IdleSince)> idle = new();

    public async Task SendAsync(string host, MimeMessage mime, CancellationToken ct)
    {
        var (client, reused) = await RentAsync(host, ct);
        try
        {
            await client.SendAsync(mime, ct);
        }
        catch (Exception e) when (reused && e is ServiceNotConnectedException or IOException or SmtpProtocolException)
        {
            // The server closed a kept connection before this email started: send it on a new one.
            client.Dispose();
            client = await ConnectAsync(host, ct);
            await SendOrDropAsync(client, mime, ct);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        await ReturnAsync(client);
    }

    static async Task SendOrDropAsync(SmtpClient client, MimeMessage mime, CancellationToken ct)
    {
        try
        {
            await client.SendAsync(mime, ct);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    async Task<(RecipientTolerantSmtpClient Client, bool Reused)> RentAsync(string host, CancellationToken ct)
    {
        while (idle.TryPop(out var kept))
        {
            // Real time on purpose: how long a socket sat idle is about the server, not the business clock.
            if (kept.Client.IsConnected && Stopwatch.GetElapsedTime(kept.IdleSince) < MaxIdle)
                return (kept.Client, true);
            await QuitAsync(kept.Client);
        }
        return (await ConnectAsync(host, ct), false);
    }

    async Task<RecipientTolerantSmtpClient> ConnectAsync(string host, CancellationToken ct)
    {
        var client = new RecipientTolerantSmtpClient(logger) { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(host, smtp.Port, smtp.Security, ct);
            if (!string.IsNullOrEmpty(smtp.Username))
                await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    async Task ReturnAsync(RecipientTolerantSmtpClient client)
    {
        if (client.IsConnected && idle.Count < outbox.Value.Parallelism)
            idle.Push((client, Stopwatch.GetTimestamp()));
        else
            await QuitAsync(client);
    }

    static async Task QuitAsync(SmtpClient client)
    {
        try
        {
            if (client.IsConnected)
                await client.DisconnectAsync(quit: true, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SmtpProtocolException or ServiceNotConnectedException or SmtpCommandException)
        {
            // Leaving anyway: a server that already hung up needs no goodbye.
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (idle.TryPop(out var kept))
            await QuitAsync(kept.Client);
    }
}
