using System.ComponentModel.DataAnnotations;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Webhooks;

/// <summary>Section <c>Webhooks</c>: deliveries to owners' URLs (signed webhooks and CRM presets).</summary>
public sealed class WebhookOptions
{
    /// <summary>A receiver that has not answered by then has failed this attempt.</summary>
    [TimeSpanRange("00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed deliveries are retried, waiting twice as long each time, until this long after the event; then dead-lettered.</summary>
    [TimeSpanRange("00:00:01", "7.00:00:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    [TimeSpanRange("00:00:00.010", "01:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    [TimeSpanRange("00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// For tests only, whose receivers listen on loopback: lets deliveries reach loopback addresses over plain HTTP.
    /// Never set in production: owners' URLs would reach the service's own host.
    /// </summary>
    public bool AllowLoopbackForTests { get; set; }

    /// <summary>The wait before the next attempt after <paramref name="attempts"/> failures.</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        var delay = FirstRetryDelay * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }
}
