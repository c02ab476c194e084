namespace Receptionist.Features.Outbox;

/// <summary>Lets a commit in this process start delivery at once rather than at the next poll.</summary>
public sealed class OutboxSignal
{
    TaskCompletionSource pending = NewSource();

    public void Wake() => Volatile.Read(ref pending).TrySetResult();

    /// <summary>Returns at once if woken since the last call, otherwise on the next wake or after the timeout.</summary>
    internal async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var current = Volatile.Read(ref pending);
        using (var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            await Task.WhenAny(current.Task, Task.Delay(timeout, time, stopDelay.Token));
            await stopDelay.CancelAsync();
        }
        ct.ThrowIfCancellationRequested();
        // A wake that lands after this point completes the new source, so the next wait returns at once.
        if (current.Task.IsCompleted)
            Interlocked.CompareExchange(ref pending, NewSource(), current);
    }

    static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
