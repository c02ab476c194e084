using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;

namespace Receptionist.Features.Outbox;

/// <summary>
/// Delivers due outbox messages on every instance. A message is leased by the statement that picks
/// it (row locks with SKIP LOCKED, then its due time pushed past the lease), so instances never
/// deliver one message at once; a result is recorded only while the lease is still held.
/// </summary>
sealed class OutboxProcessor(
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxProcessor> logger) : BackgroundService
{
    const int MaxErrorLength = 2000;
    static readonly TimeSpan PurgeEvery = TimeSpan.FromHours(1);
    readonly OutboxOptions settings = options.Value;
    DateTimeOffset lastPurge = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await PollAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping is not a failure: without this, a start that fails (a port in use) also logs a crit from here.
        }
    }

    async Task PollAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var picked = 0;
            try
            {
                picked = await DeliverDueAsync(stoppingToken);
                await PurgeDeliveredAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Outbox pick-up failed; trying again at the next poll");
            }
            // A full batch suggests more are due: go on without waiting.
            if (picked < settings.BatchSize)
                await signal.WaitAsync(settings.PollInterval, time, stoppingToken);
        }
    }

    /// <summary>Once an hour per instance, deletes what was delivered longer ago than the retention period.</summary>
    async Task PurgeDeliveredAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now - lastPurge < PurgeEvery)
            return;
        lastPurge = now;
        await using var scope = scopes.CreateAsyncScope();
        var cutoff = now - settings.RetainDelivered;
        var purged = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<OutboxMessage>()
            .Where(m => m.DeliveredAt < cutoff).ExecuteDeleteAsync(ct);
        if (purged > 0)
            logger.LogInformation("Deleted {Count} outbox messages delivered before {Cutoff}", purged, cutoff);
    }

    async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        List<OutboxMessage> leased;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var now = time.GetUtcNow();
            leased = await db.Set<OutboxMessage>().FromSql($"""
                UPDATE outbox_messages
                SET attempts = attempts + 1, next_attempt_at = {now + settings.Lease}
                WHERE id IN (
                    SELECT id FROM outbox_messages
                    WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND next_attempt_at <= {now}
                    ORDER BY next_attempt_at
                    LIMIT {settings.BatchSize}
                    FOR UPDATE SKIP LOCKED)
                RETURNING *
                """).AsNoTracking().ToListAsync(ct);
        }
        // In parallel, up to a bound: a slow recipient's server does not hold up the rest of the batch. Each message
        // has its own scope and records its own result, so nothing is shared but the SMTP connections.
        await Parallel.ForEachAsync(leased, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism, CancellationToken = ct },
            (message, token) => new ValueTask(DeliverAsync(message, token)));
        return leased.Count;
    }

    async Task DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        // Only the holder of the lease records a result; the lease is the due time the pick-up returned.
        var held = db.Set<OutboxMessage>().Where(m => m.Id == message.Id && m.NextAttemptAt == message.NextAttemptAt);
        var handler = scope.ServiceProvider.GetKeyedService<IOutboxHandler>(message.Kind);
        try
        {
            if (handler is null)
                throw new InvalidOperationException($"No outbox handler is registered for kind '{message.Kind}'.");
            await handler.DeliverAsync(message, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var error = Describe(e);
            var now = time.GetUtcNow();
            // The handler's own schedule, if it keeps one, decides; otherwise the shared attempts and backoff.
            var retryAt = handler is IOutboxRetrySchedule schedule
                ? schedule.NextAttempt(message, now)
                : message.Attempts >= settings.MaxAttempts ? null : now + settings.RetryDelay(message.Attempts);
            if (retryAt is not null && e is OutboxRetryLaterException later)
                retryAt = now + later.After;
            if (retryAt is not { } due)
            {
                logger.LogError(e, "Outbox message {Id} ({Kind}) dead-lettered after {Attempts} attempts",
                    message.Id, message.Kind, message.Attempts);
                await RecordAsync(message, held.ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.DeadLetteredAt, now).SetProperty(m => m.LastError, error), CancellationToken.None));
            }
            else
            {
                logger.LogWarning(e, "Outbox message {Id} ({Kind}) failed attempt {Attempts}; retrying at {RetryAt}",
                    message.Id, message.Kind, message.Attempts, due);
                await RecordAsync(message, held.ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.NextAttemptAt, due).SetProperty(m => m.LastError, error), CancellationToken.None));
            }
            return;
        }
        // Recorded even when the service is stopping: the message has gone out.
        var deliveredAt = time.GetUtcNow();
        await RecordAsync(message, held.ExecuteUpdateAsync(s => s.SetProperty(m => m.DeliveredAt, deliveredAt), CancellationToken.None));
    }

    async Task RecordAsync(OutboxMessage message, Task<int> update)
    {
        if (await update == 0)
            logger.LogWarning("Outbox message {Id} outlived its lease; another instance has taken it over", message.Id);
    }

    static string Describe(Exception error)
    {
        var text = $"{error.GetType().Name}: {error.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}
