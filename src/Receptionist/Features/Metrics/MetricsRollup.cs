using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Calls;

namespace Receptionist.Features.Metrics;

/// <summary>
/// One hour (UTC) of the call record summed once, so that a long admin report adds up hours instead of reading every
/// call again. Kinds of row (<see cref="Dimension"/>): <c>hour</c>, the hour's totals; <c>business</c> and
/// <c>operator</c>, each business's and each operator's part of it (the operator's row also holds their time in each
/// state); <c>day:business</c> and <c>day:operator</c>, the same over a whole UTC day (<see cref="Hour"/> is its
/// midnight), so a month's report adds up days. The sums are the ones <see cref="MetricsQuery"/> takes over calls,
/// written by the same SQL.
/// </summary>
public sealed class CallMetricsHour
{
    public DateTimeOffset Hour { get; init; }
    public required string Dimension { get; init; }
    /// <summary>The business or operator; <see cref="Guid.Empty"/> on the hour's totals.</summary>
    public Guid Key { get; init; }
    public long Offered { get; init; }
    public long Answered { get; init; }
    public long Abandoned { get; init; }
    public long ShortAbandoned { get; init; }
    public long Overflowed { get; init; }
    public long AnsweredWithinTarget { get; init; }
    public long AnsweredWithinBillingSla { get; init; }
    public long Handled { get; init; }
    public long NotLive { get; init; }
    public long Missed { get; init; }
    public long NotBilled { get; init; }
    public long Repeated { get; init; }
    public double WaitSeconds { get; init; }
    public double TalkSeconds { get; init; }
    public double HoldSeconds { get; init; }
    public double WrapUpSeconds { get; init; }
    public double AvailableSeconds { get; init; }
    public double BusySeconds { get; init; }
    public double StateWrapUpSeconds { get; init; }
    /// <summary>Offers made to the operator that started in this hour, and how they ended (operator rows only).</summary>
    public long Offers { get; init; }
    public long OffersAnswered { get; init; }
    public long OffersMissed { get; init; }
    public long OffersDeclined { get; init; }
    public long OffersWithdrawn { get; init; }
}

/// <summary>How many answered calls of an hour (UTC) waited a given whole number of seconds: percentiles of the wait
/// over rolled-up hours are read from these, to the second.</summary>
public sealed class CallWaitHour
{
    public DateTimeOffset Hour { get; init; }
    public int WaitSecond { get; init; }
    public long Calls { get; init; }
}

/// <summary>
/// What the rollup holds: every hour in [<see cref="CoveredFrom"/>, <see cref="RolledUntil"/>), summed with these
/// thresholds. One row.
/// </summary>
public sealed class MetricsRollupState
{
    public int Id { get; init; } = 1;
    public DateTimeOffset CoveredFrom { get; set; }
    public DateTimeOffset RolledUntil { get; set; }
    /// <summary>When the whole repeat window was last summed again (hourly; the last day is summed on every run).</summary>
    public DateTimeOffset WindowRefreshedAt { get; set; }
    public DateTimeOffset RefreshedAt { get; set; }
    public int ServiceLevelSeconds { get; set; }
    public int ShortAbandonSeconds { get; set; }
    public int BillingSlaSeconds { get; set; }
}

sealed class MetricsRollupConfiguration :
    IEntityTypeConfiguration<CallMetricsHour>, IEntityTypeConfiguration<CallWaitHour>, IEntityTypeConfiguration<MetricsRollupState>
{
    public void Configure(EntityTypeBuilder<CallMetricsHour> b)
    {
        b.ToTable("call_metrics_hourly");
        // Reports read one kind of row over a range of hours.
        b.HasKey(x => new { x.Dimension, x.Hour, x.Key });
        b.Property(x => x.Dimension).HasMaxLength(16);
        // Calls and state spans are summed by separate statements into the same row; each leaves the other's zero.
        foreach (var sum in b.Metadata.GetProperties().Where(p => p.ClrType == typeof(long) || p.ClrType == typeof(double)))
            b.Property(sum.Name).HasDefaultValue(sum.ClrType == typeof(long) ? 0L : 0.0);
    }

    public void Configure(EntityTypeBuilder<CallWaitHour> b)
    {
        b.ToTable("call_wait_hourly");
        b.HasKey(x => new { x.Hour, x.WaitSecond });
    }

    public void Configure(EntityTypeBuilder<MetricsRollupState> b)
    {
        b.ToTable("metrics_rollup_state");
        b.Property(x => x.Id).ValueGeneratedNever();
        b.ToTable(t => t.HasCheckConstraint("ck_metrics_rollup_state_one_row", "id = 1"));
    }
}

/// <summary>
/// Sums closed hours of the call record into <see cref="CallMetricsHour"/> and <see cref="CallWaitHour"/>. A closed
/// hour still changes for a while (a summary written after the call, reconciliation settling a call, a repeat call
/// within 7 days), so each run sums the last day again, and once an hour the last
/// <see cref="RepeatWindowDays"/> + 1 days; what is older is final. The first run (or a change of thresholds) sums
/// the whole history. One instance at a time (an advisory lock); each run is one transaction, so a report sees the
/// rollup before or after it, never half of it.
/// </summary>
public sealed class MetricsRollup(AppDbContext db, MetricsQuery metrics, IOptions<CallOptions> calls, TimeProvider clock)
{
    public const int RepeatWindowDays = 7;
    const long LockKey = 0x6d65747269637331; // "metrics1"
    static readonly TimeSpan Chunk = TimeSpan.FromDays(RepeatWindowDays);

    /// <summary>Sums what changed since the last run; false when another instance is at it.</summary>
    public async Task<bool> RefreshAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var until = MetricsQuery.FloorHour(now);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var locked = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({LockKey}) AS \"Value\"").SingleAsync(ct);
        if (!locked)
            return false;
        var state = await db.Set<MetricsRollupState>().SingleOrDefaultAsync(ct);
        var options = metrics.Options;
        var sameThresholds = state is not null && state.ServiceLevelSeconds == options.ServiceLevelSeconds
            && state.ShortAbandonSeconds == options.ShortAbandonSeconds && state.BillingSlaSeconds == calls.Value.AnswerSlaSeconds;
        DateTimeOffset from;
        var wholeWindow = state is null || !sameThresholds || now - state.WindowRefreshedAt >= TimeSpan.FromHours(1);
        if (state is null || !sameThresholds)
        {
            var first = await db.Database.SqlQuery<DateTimeOffset?>($"""
                SELECT LEAST((SELECT min(received_at) FROM calls), (SELECT min(started_at) FROM operator_state_intervals)) AS "Value"
                """).SingleAsync(ct);
            from = first is { } f ? MetricsQuery.FloorHour(f) : until;
            await db.Database.ExecuteSqlAsync($"DELETE FROM call_metrics_hourly; DELETE FROM call_wait_hourly", ct);
        }
        else
        {
            from = until - (wholeWindow ? TimeSpan.FromDays(RepeatWindowDays + 1) : TimeSpan.FromDays(1));
            // After a pause longer than that, everything since the last run.
            from = new[] { from, state.RolledUntil }.Min();
            from = new[] { from, state.CoveredFrom }.Max();
        }
        if (from > until)
            from = until;
        // A week per statement: each stays short (it also reads the week after, for repeat calls), however long the
        // history a first run sums.
        for (var start = from; start < until; start += Chunk)
            await metrics.SumHoursAsync(start, new[] { start + Chunk, until }.Min(), ct);
        await metrics.SumDaysAsync(from, until, ct);

        state ??= db.Set<MetricsRollupState>().Add(new MetricsRollupState()).Entity;
        if (!sameThresholds)
            state.CoveredFrom = from;
        state.RolledUntil = until;
        state.RefreshedAt = now;
        if (wholeWindow)
            state.WindowRefreshedAt = now;
        state.ServiceLevelSeconds = options.ServiceLevelSeconds;
        state.ShortAbandonSeconds = options.ShortAbandonSeconds;
        state.BillingSlaSeconds = calls.Value.AnswerSlaSeconds;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return true;
    }
}

/// <summary>Runs <see cref="MetricsRollup"/> on every instance every Metrics:RollupInterval (zero: never).</summary>
sealed class MetricsRollupService(IServiceScopeFactory scopes, IOptions<MetricsOptions> options, ILogger<MetricsRollupService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RollupInterval;
        if (interval <= TimeSpan.Zero)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MetricsRollup>().RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Summing the service-level rollup failed; trying again at the next interval");
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            // Real time on purpose, like reconciliation: the interval is about load, not the business clock.
            try { await Task.Delay(interval, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }
}
