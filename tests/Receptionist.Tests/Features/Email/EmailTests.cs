using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Receptionist.Data;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Email;

/// <summary>The service sending to a real SMTP server on loopback, retrying fast enough for a test.</summary>
public sealed class SmtpEmailApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    // Enough attempts that a slow restart of the SMTP server (Python under load) cannot exhaust them.
    public const int MaxAttempts = 8;
    public SmtpServer Smtp { get; } = new();

    public override async ValueTask InitializeAsync()
    {
        await Smtp.InitializeAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. Smtp.AppSettings(),
        new("Outbox:FirstRetryDelay", "00:00:00.200"),
        new("Outbox:MaxRetryDelay", "00:00:01"),
        new("Outbox:MaxAttempts", $"{MaxAttempts}"),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

public sealed class EmailTests(SmtpEmailApp app) : IClassFixture<SmtpEmailApp>
{
    static readonly object MissedCall = new
    {
        BusinessName = "Цветы & Co",
        CallerNumber = "+79991234567",
        CalledAt = new DateTime(2026, 3, 5, 14, 7, 0),
        WaitSeconds = 64,
        RecordingUrl = "https://calls.example.com/recordings/42",
    };

    [Fact]
    public async Task EnqueuedEmailArrivesWithItsSubjectTextHtmlAndMessageId()
    {
        var rendered = app.Services.GetRequiredService<EmailTemplates>().Render("missed-call", MissedCall);
        var email = EmailMessage.Create(["owner@example.com", "Manager <manager@example.com>"], rendered);

        var id = await Outbox.EnqueueAsync(app, email);

        var received = await app.Smtp.WaitForMessageAsync(email.MessageId);
        Assert.Equal(rendered.Subject, received.Subject);
        Assert.Contains("+79991234567", received.Subject);
        Assert.Equal(rendered.TextBody.TrimEnd(), received.TextBody!.TrimEnd());
        Assert.Equal(rendered.HtmlBody!.TrimEnd(), received.HtmlBody!.TrimEnd());
        Assert.Equal("calls@receptionist.test", received.From.Mailboxes.Single().Address);
        Assert.Equal(["owner@example.com", "manager@example.com"], received.To.Mailboxes.Select(m => m.Address));
        var row = await Outbox.EventuallyAsync(app, id, m => m.DeliveredAt is not null, "recorded as delivered");
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.LastError);
    }

    [Fact]
    public async Task ABatchDeliveredInParallelOverKeptConnectionsArrivesOnceEachAndIsRecordedOnce()
    {
        var emails = Enumerable.Range(0, 30).Select(i => new EmailMessage(["owner@example.com"], $"Batch {i}", $"Message {i}", null,
            MimeKit.Utils.MimeUtils.GenerateMessageId())).ToList();
        var ids = new List<Guid>();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
            foreach (var email in emails)
            {
                var message = OutboxMessage.Email(email, now);
                db.Set<OutboxMessage>().Add(message);
                ids.Add(message.Id);
            }
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        foreach (var email in emails)
            await app.Smtp.WaitForMessageAsync(email.MessageId);
        foreach (var id in ids)
            Assert.Equal(1, (await Outbox.EventuallyAsync(app, id, m => m.DeliveredAt is not null, "recorded as delivered")).Attempts);
        Assert.All(emails, email => Assert.Single(app.Smtp.MessagesWithId(email.MessageId)));
    }

    [Fact]
    public async Task EmailSentWhileTheSmtpServerIsDownArrivesExactlyOnceWhenItIsBack()
    {
        var email = new EmailMessage(["owner@example.com"], "Outage", "Sent during an outage", null, MimeKit.Utils.MimeUtils.GenerateMessageId());
        await app.Smtp.StopAsync();
        Guid id;
        try
        {
            id = await Outbox.EnqueueAsync(app, email);
            var failed = await Outbox.EventuallyAsync(app, id, m => m.Attempts >= 2 && m.LastError is not null, "failing while the server is down");
            Assert.Null(failed.DeliveredAt);
            Assert.Null(failed.DeadLetteredAt);
        }
        finally
        {
            await app.Smtp.StartAsync();
        }

        await app.Smtp.WaitForMessageAsync(email.MessageId);
        var delivered = await Outbox.EventuallyAsync(app, id, m => m.DeliveredAt is not null, "recorded as delivered");
        Assert.InRange(delivered.Attempts, 3, SmtpEmailApp.MaxAttempts);
        // Past its next poll, still one copy.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Single(app.Smtp.MessagesWithId(email.MessageId));
    }

    [Fact]
    public async Task EmailTheServerRefusesIsDeadLetteredAfterTheConfiguredAttemptsAndAnAdminCanRequeueIt()
    {
        var tooLarge = new string('x', SmtpServer.MaxMessageSize + 1024);
        var email = new EmailMessage(["owner@example.com"], "Too large", tooLarge, null, MimeKit.Utils.MimeUtils.GenerateMessageId());
        var id = await Outbox.EnqueueAsync(app, email);

        var dead = await Outbox.EventuallyAsync(app, id, m => m.DeadLetteredAt is not null, "dead-lettered");
        Assert.Equal(SmtpEmailApp.MaxAttempts, dead.Attempts);
        Assert.False(string.IsNullOrWhiteSpace(dead.LastError));
        Assert.Null(dead.DeliveredAt);
        Assert.Empty(app.Smtp.MessagesWithId(email.MessageId));

        var admin = await app.AdminAsync();
        var listed = await admin.GetFromJsonAsync<OutboxEntry[]>("/api/admin/outbox?state=dead", TestContext.Current.CancellationToken);
        var entry = Assert.Single(listed!, e => e.Id == id);
        Assert.Equal(EmailMessage.OutboxKind, entry.Kind);
        Assert.Equal(SmtpEmailApp.MaxAttempts, entry.Attempts);
        Assert.Equal(dead.LastError, entry.LastError);
        Assert.Equal(email.MessageId, entry.Payload.GetProperty("messageId").GetString());
        var pending = await admin.GetFromJsonAsync<OutboxEntry[]>("/api/admin/outbox?state=pending", TestContext.Current.CancellationToken);
        Assert.DoesNotContain(pending!, e => e.Id == id);

        var retry = await admin.PostAsync($"/api/admin/outbox/{id}/retry", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, retry.StatusCode);

        // Requeued with a fresh set of attempts, which the still-refused message uses up again.
        var deadAgain = await Outbox.EventuallyAsync(app, id,
            m => m.DeadLetteredAt > dead.DeadLetteredAt, "dead-lettered a second time");
        Assert.Equal(SmtpEmailApp.MaxAttempts, deadAgain.Attempts);
    }
}

/// <summary>The service with no SMTP host, polling so rarely that only a commit's wake-up can deliver in time.</summary>
public sealed class PickupEmailApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    public string PickupDirectory { get; } = Path.Combine(Path.GetTempPath(), $"receptionist-mail-{Guid.NewGuid():N}");

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Smtp:PickupDirectory", PickupDirectory),
        new("Outbox:PollInterval", "01:00:00"),
    ];

    public async Task<MimeMessage> WaitForFileAsync(string messageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (PickedUp().FirstOrDefault(m => m.MessageId == messageId) is { } message)
                return message;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No .eml file for <{messageId}> appeared in {PickupDirectory}.");
            await Task.Delay(25);
        }
    }

    public IEnumerable<MimeMessage> PickedUp() => Directory.Exists(PickupDirectory)
        ? Directory.GetFiles(PickupDirectory, "*.eml").Select(file => MimeMessage.Load(file))
        : [];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(PickupDirectory, recursive: true); } catch (IOException) { }
    }
}

public sealed class EmailPickupTests(PickupEmailApp app) : IClassFixture<PickupEmailApp>
{
    [Fact]
    public async Task WithoutAnSmtpHostMailIsWrittenAsAnEmlFileToThePickupDirectory()
    {
        var email = new EmailMessage(["owner@example.com"], "Пропущенный звонок", "Текст письма", "<p>Текст письма</p>",
            MimeKit.Utils.MimeUtils.GenerateMessageId());

        var id = await Outbox.EnqueueAsync(app, email);

        var written = await app.WaitForFileAsync(email.MessageId);
        Assert.Equal("Пропущенный звонок", written.Subject);
        Assert.Equal("Текст письма", written.TextBody!.TrimEnd());
        Assert.Equal("<p>Текст письма</p>", written.HtmlBody!.TrimEnd());
        Assert.Equal("owner@example.com", written.To.Mailboxes.Single().Address);
        await Outbox.EventuallyAsync(app, id, m => m.DeliveredAt is not null, "recorded as delivered");
    }

    [Fact]
    public async Task AnEmailIsWrittenOnlyIfTheTransactionThatEnqueuedItCommits()
    {
        var ct = TestContext.Current.CancellationToken;
        var rolledBack = new EmailMessage(["owner@example.com"], "Rolled back", "never", null, MimeKit.Utils.MimeUtils.GenerateMessageId());
        var committed = new EmailMessage(["owner@example.com"], "Committed", "sent", null, MimeKit.Utils.MimeUtils.GenerateMessageId());
        Guid rolledBackId;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();

            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                var message = OutboxMessage.Email(rolledBack, now);
                rolledBackId = message.Id;
                db.Set<OutboxMessage>().Add(message);
                await db.SaveChangesAsync(ct);
                await transaction.RollbackAsync(ct);
            }
            db.ChangeTracker.Clear();

            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                db.Set<OutboxMessage>().Add(OutboxMessage.Email(committed, now));
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }
        }

        // Written at the commit, long before the hour-long poll would have found it.
        await app.WaitForFileAsync(committed.MessageId);
        Assert.DoesNotContain(app.PickedUp(), m => m.MessageId == rolledBack.MessageId);
        Assert.Null(await Outbox.FindAsync(app, rolledBackId));
    }
}

public sealed class EmailTemplateTests
{
    readonly EmailTemplates templates = new();

    [Fact]
    public void MissedCallEmailNamesTheBusinessCallerTimeWaitAndRecordingAndEscapesHtml()
    {
        var rendered = templates.Render("missed-call", new
        {
            BusinessName = "Tom & Jerry <Bar>",
            CallerNumber = "+79991234567",
            CalledAt = new DateTime(2026, 3, 5, 14, 7, 0),
            WaitSeconds = 42,
            RecordingUrl = "https://calls.example.com/rec?id=1&format=mp3",
        });

        Assert.Equal("Tom & Jerry <Bar>: пропущенный звонок с +79991234567 / Missed call from +79991234567", rendered.Subject);
        Assert.Contains("Номер: +79991234567", rendered.TextBody);
        Assert.Contains("Время: 05.03.2026 14:07", rendered.TextBody);
        Assert.Contains("Ожидание: 42 с", rendered.TextBody);
        Assert.Contains("Запись: https://calls.example.com/rec?id=1&format=mp3", rendered.TextBody);
        Assert.Contains("Time: 2026-03-05 14:07", rendered.TextBody);
        Assert.Contains("Tom &amp; Jerry &lt;Bar&gt;", rendered.HtmlBody);
        Assert.DoesNotContain("<Bar>", rendered.HtmlBody);
        Assert.Contains("href=\"https://calls.example.com/rec?id=1&amp;format=mp3\"", rendered.HtmlBody);
    }

    [Fact]
    public void MissedCallEmailWithoutARecordingLeavesTheRecordingLinesOut()
    {
        var rendered = templates.Render("missed-call", new
        {
            BusinessName = "Цветы",
            CallerNumber = "+79991234567",
            CalledAt = new DateTime(2026, 3, 5, 14, 7, 0),
            WaitSeconds = 61,
            RecordingUrl = (string?)null,
        });

        Assert.DoesNotContain("Запись", rendered.TextBody);
        Assert.DoesNotContain("Recording", rendered.TextBody);
        Assert.DoesNotContain("Запись", rendered.HtmlBody);
        Assert.Contains("Ожидание: 61 с\n\nЗвонок не был принят", rendered.TextBody);
    }

    [Fact]
    public void AModelMissingAVariableTheTemplateUsesIsAnErrorNotAnEmptyString()
    {
        var error = Assert.ThrowsAny<Exception>(() => templates.Render("missed-call", new { BusinessName = "Цветы" }));
        Assert.Contains("caller_number", error.Message);
    }
}

/// <summary>Enqueues and reads outbox rows the way a feature does: through the app's own DbContext.</summary>
static class Outbox
{
    public static async Task<Guid> EnqueueAsync(ReceptionistApp app, EmailMessage email)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var message = OutboxMessage.Email(email, scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow());
        db.Set<OutboxMessage>().Add(message);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return message.Id;
    }

    public static async Task<OutboxMessage?> FindAsync(ReceptionistApp app, Guid id)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<OutboxMessage>().AsNoTracking()
            .SingleOrDefaultAsync(m => m.Id == id, TestContext.Current.CancellationToken);
    }

    /// <summary>Polls the row until <paramref name="done"/> holds, failing with the row's last state after a deadline.</summary>
    public static async Task<OutboxMessage> EventuallyAsync(ReceptionistApp app, Guid id, Func<OutboxMessage, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var row = await FindAsync(app, id);
            if (row is not null && done(row))
                return row;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Outbox message {id} was not {what} in time; last seen: attempts {row?.Attempts}, " +
                    $"delivered {row?.DeliveredAt}, dead {row?.DeadLetteredAt}, error {row?.LastError}");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }
}
