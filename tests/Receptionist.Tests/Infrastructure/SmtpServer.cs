using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on loopback: Debian's python3-aiosmtpd, keeping each message it accepts as one
/// file in a Maildir. It can be stopped and started again on the same port to play an outage, and it
/// refuses (552) any message larger than <see cref="MaxMessageSize"/>, which plays a permanent failure.
/// </summary>
public sealed class SmtpServer : IAsyncLifetime
{
    const string Python = "/usr/bin/python3";
    public const int MaxMessageSize = 64 * 1024;

    readonly string root = Path.Combine(Path.GetTempPath(), $"receptionist-smtp-{Guid.NewGuid():N}");
    readonly StringBuilder output = new();
    Process? process;

    public int Port { get; } = FreeLoopbackPort();

    // aiosmtpd creates the Maildir itself; an existing empty folder would make it refuse every message.
    string Maildir => Path.Combine(root, "maildir");

    public async ValueTask InitializeAsync()
    {
        await AssertAiosmtpdInstalledAsync();
        Directory.CreateDirectory(root);
        await StartAsync();
    }

    public async Task StartAsync()
    {
        if (process is not null)
            throw new InvalidOperationException("The SMTP server is already running.");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        foreach (var argument in (string[])["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-s", $"{MaxMessageSize}",
                     "-c", "aiosmtpd.handlers.Mailbox", Maildir])
            start.ArgumentList.Add(argument);
        process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"aiosmtpd exited with {process.ExitCode}: {Output()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task StopAsync()
    {
        if (process is null)
            return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    /// <summary>Every message the server has accepted so far.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var received = Path.Combine(Maildir, "new");
        return Directory.Exists(received)
            ? Directory.GetFiles(received).Select(file => MimeMessage.Load(file)).ToList()
            : [];
    }

    public IReadOnlyList<MimeMessage> MessagesWithId(string messageId) =>
        Messages().Where(m => m.MessageId == messageId).ToList();

    /// <summary>Waits for the message with this Message-Id to arrive.</summary>
    public Task<MimeMessage> WaitForMessageAsync(string messageId, TimeSpan? timeout = null) =>
        WaitForMessageAsync(m => m.MessageId == messageId, $"<{messageId}>", timeout);

    /// <summary>Waits for a message that <paramref name="matches"/> to arrive.</summary>
    public async Task<MimeMessage> WaitForMessageAsync(Func<MimeMessage, bool> matches, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            if (Messages().FirstOrDefault(matches) is { } message)
                return message;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No message {what} reached the SMTP server in time. Server output: {Output()}");
            await Task.Delay(25);
        }
    }

    /// <summary>The service's settings that send its mail here, picked up promptly.</summary>
    public IEnumerable<KeyValuePair<string, string?>> AppSettings() =>
    [
        new("Smtp:Host", "127.0.0.1"),
        new("Smtp:Port", $"{Port}"),
        new("Smtp:Security", "None"),
        new("Smtp:From", "Receptionist <calls@receptionist.test>"),
        new("Outbox:PollInterval", "00:00:00.050"),
    ];

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    string Output()
    {
        lock (output) return output.ToString();
    }

    static async Task AssertAiosmtpdInstalledAsync()
    {
        var check = new ProcessStartInfo(Python, ["-c", "import aiosmtpd"]) { RedirectStandardError = true };
        Process? python = null;
        try { python = Process.Start(check); } catch (System.ComponentModel.Win32Exception) { }
        if (python is null)
            throw new InvalidOperationException($"{Python} is missing; the email tests need it with aiosmtpd: apt-get install -y python3-aiosmtpd");
        using (python)
        {
            var error = await python.StandardError.ReadToEndAsync();
            await python.WaitForExitAsync();
            if (python.ExitCode != 0)
                throw new InvalidOperationException(
                    $"{Python} cannot import aiosmtpd, which the email tests use as their SMTP server. " +
                    $"Install it with: apt-get install -y python3-aiosmtpd ({error.Trim()})");
        }
    }

    static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
