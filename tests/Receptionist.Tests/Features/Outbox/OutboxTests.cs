using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Data;
using Receptionist.Features.Outbox;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Outbox;

/// <summary>Records every delivery it makes, slowly enough that two instances would overlap on a shared message.</summary>
sealed class RecordingHandler : IOutboxHandler
{
    public const string Kind = "test-record";
    public static readonly ConcurrentDictionary<Guid, int> Deliveries = new();

    public async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        Deliveries.AddOrUpdate(message.Id, 1, (_, count) => count + 1);
        await Task.Delay(10, ct);
    }
}

public sealed class OutboxApp(PostgresServer postgres) : ReceptionistApp(postgres)
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddOutboxHandler<RecordingHandler>(RecordingHandler.Kind));
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Outbox:PollInterval", "00:00:00.020"),
        new("Outbox:BatchSize", "5"),
    ];
}

public sealed class OutboxTests(OutboxApp app) : IClassFixture<OutboxApp>
{
    [Fact]
    public async Task TwoInstancesOnOneDatabaseDeliverEveryMessageExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var second = app.WithWebHostBuilder(_ => { });
        _ = second.Server;

        var ids = await EnqueueAsync(60);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await CountDeliveredAsync(ids) < ids.Count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {await CountDeliveredAsync(ids)} of {ids.Count} delivered in time");
            await Task.Delay(50, ct);
        }
        Assert.All(ids, id => Assert.Equal(1, RecordingHandler.Deliveries[id]));
    }

    [Fact]
    public async Task RetryingAMissingMessageIsNotFoundAndADeliveredOneIsAConflict()
    {
        var admin = await app.AdminAsync();
        var missing = await admin.PostAsync($"/api/admin/outbox/{Guid.NewGuid()}/retry", null, TestContext.Current.CancellationToken);
        await missing.AssertProblemAsync(HttpStatusCode.NotFound);

        var id = (await EnqueueAsync(1)).Single();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await CountDeliveredAsync([id]) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the message was not delivered in time");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
        var delivered = await admin.PostAsync($"/api/admin/outbox/{id}/retry", null, TestContext.Current.CancellationToken);
        await delivered.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(1, RecordingHandler.Deliveries[id]);
    }

    [Fact]
    public async Task OutboxListNamesAnUnknownStateAndIsForAdminsOnly()
    {
        var admin = await app.AdminAsync();
        var bad = await admin.GetAsync("/api/admin/outbox?state=lost", TestContext.Current.CancellationToken);
        Assert.Contains("state", (await bad.AssertValidationProblemAsync()).Keys);

        var owner = await app.NewOwnerAsync();
        var forbidden = await owner.GetAsync("/api/admin/outbox", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var retry = await owner.PostAsync($"/api/admin/outbox/{Guid.NewGuid()}/retry", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, retry.StatusCode);
    }

    [Fact]
    public void RetryDelayDoublesFromTheFirstDelayUpToTheCap()
    {
        var options = new OutboxOptions { FirstRetryDelay = TimeSpan.FromMinutes(1), MaxRetryDelay = TimeSpan.FromHours(1) };

        Assert.Equal(
            [1, 2, 4, 8, 16, 32, 60, 60],
            Enumerable.Range(1, 8).Select(attempts => options.RetryDelay(attempts).TotalMinutes));
        Assert.Equal(TimeSpan.FromHours(1), options.RetryDelay(500));
    }

    async Task<List<Guid>> EnqueueAsync(int count)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        var messages = Enumerable.Range(0, count).Select(n => OutboxMessage.Create(RecordingHandler.Kind, new { n }, now)).ToList();
        db.Set<OutboxMessage>().AddRange(messages);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return messages.Select(m => m.Id).ToList();
    }

    async Task<int> CountDeliveredAsync(List<Guid> ids)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<OutboxMessage>()
            .CountAsync(m => ids.Contains(m.Id) && m.DeliveredAt != null, TestContext.Current.CancellationToken);
    }
}

public sealed class OutboxRetentionTests(CallsApp app) : IClassFixture<CallsApp>
{
    async Task<Guid> DeliveredMessageAsync(TimeSpan ago)
    {
        var id = Guid.NewGuid();
        var deliveredAt = app.Clock.GetUtcNow() - ago;
        await app.ScalarAsync<object>("""
            INSERT INTO outbox_messages (id, kind, payload, created_at, attempts, next_attempt_at, delivered_at)
            VALUES ($1, 'email', '{}', $2, 1, $2, $2)
            """, id, deliveredAt);
        return id;
    }

    [Fact]
    public async Task DeliveredMessagesAreDeletedAfterTheRetentionPeriodAndNothingElseIs()
    {
        var old = await DeliveredMessageAsync(TimeSpan.FromDays(31));
        var recent = await DeliveredMessageAsync(TimeSpan.FromDays(1));

        // The purge runs hourly; the processor's timers run on the test's clock.
        app.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await app.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE id = $1", old) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the old delivered message was not purged");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE id = $1", recent));
    }
}
