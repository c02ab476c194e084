using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Receptionist.Features.Outbox;

/// <summary>
/// Wakes the processor when a context that holds outbox messages has committed them: right after
/// SaveChanges when it ran in its own transaction, or when the caller's transaction commits
/// (a rollback wakes nobody, and the processor never looks before the rows are visible).
/// </summary>
sealed class OutboxWakeInterceptor(OutboxSignal signal) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context?.Database.CurrentTransaction is null)
            WakeIfHoldingMessages(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default) =>
        ValueTask.FromResult(SavedChanges(eventData, result));

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        WakeIfHoldingMessages(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
    {
        WakeIfHoldingMessages(eventData.Context);
        return Task.CompletedTask;
    }

    void WakeIfHoldingMessages(DbContext? context)
    {
        if (context is not null && context.ChangeTracker.Entries<OutboxMessage>().Any())
            signal.Wake();
    }
}
