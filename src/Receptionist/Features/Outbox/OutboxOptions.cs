using System.ComponentModel.DataAnnotations;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Outbox;

/// <summary>Configuration section <c>Outbox</c>.</summary>
public sealed class OutboxOptions
{
    /// <summary>How often every instance looks for due messages; an enqueue in this process wakes it sooner.</summary>
    [TimeSpanRange("00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts before a message is dead-lettered for an admin to look at.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failure; it doubles after each further one, up to <see cref="MaxRetryDelay"/>.</summary>
    [TimeSpanRange("00:00:00.001", "1.00:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    [TimeSpanRange("00:00:00.001", "7.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a picked message belongs to the instance that picked it. Longer than any delivery takes
    /// (the SMTP timeout is 30 s); if that instance dies, another one retries the message after it.
    /// </summary>
    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 20;

    /// <summary>How many messages of a batch one instance delivers at once (and SMTP connections it keeps open).</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 4;

    /// <summary>Delivered messages are kept this long (for support questions), then deleted.</summary>
    [TimeSpanRange("01:00:00", "365.00:00:00")]
    public TimeSpan RetainDelivered { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The wait before attempt <paramref name="attempts"/> + 1, after <paramref name="attempts"/> failures.</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        var doublings = Math.Clamp(attempts - 1, 0, 30);
        var delay = FirstRetryDelay * Math.Pow(2, doublings);
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }
}
