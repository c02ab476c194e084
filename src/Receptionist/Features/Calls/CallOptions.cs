using System.ComponentModel.DataAnnotations;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Calls;

public sealed class CallOptions
{
    /// <summary>A call answered within this many seconds of arriving is billable; later, never.</summary>
    [Range(1, 600)]
    public int AnswerSlaSeconds { get; set; } = 30;

    /// <summary>After this many seconds without an operator the caller goes to the business's fallback.</summary>
    [Range(5, 900)]
    public int OverflowSeconds { get; set; } = 60;

    /// <summary>
    /// A waiting caller's ringback (5 s) re-polls the wait URL; a caller not heard from for this long (two rings and a
    /// margin) is not handed to an operator, and reconciliation asks the provider whether they are still there.
    /// </summary>
    [Range(6, 300)]
    public int CallerSilenceSeconds { get; set; } = 12;

    /// <summary>How often each instance looks for calls that have stopped hearing from the provider.</summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a call may go without its expected report before the provider's record is asked:
    /// a claim not bridged, a bridged caller's end with no word on the operator's answer.</summary>
    [TimeSpanRange("00:00:05", "01:00:00")]
    public TimeSpan ReportGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>An answered call, or one in its fallback, is checked with the provider this long after its last news,
    /// and again as often while the provider says it goes on.</summary>
    [TimeSpanRange("00:01:00", "1.00:00:00")]
    public TimeSpan RecheckLiveCall { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>When the provider cannot be reached about a call, the first wait before asking again; it doubles.</summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan FirstReconcileRetry { get; set; } = TimeSpan.FromSeconds(15);

    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan MaxReconcileRetry { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>After this many failed attempts to reach the provider a call is settled on the evidence at hand.</summary>
    [Range(1, 100)]
    public int MaxReconcileAttempts { get; set; } = 10;
}
