using System.ComponentModel.DataAnnotations;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Blocking;

/// <summary>What a blocked caller hears.</summary>
public enum BlockedCallerTreatment
{
    /// <summary>A short polite "this number is not available" in the business's language, then the call ends.</summary>
    NotAvailable,
    /// <summary>The call is rejected as busy, without answering (the caller is not charged for a connected call).</summary>
    Busy,
}

/// <summary>Section <c>Blocking</c>: blocked callers and the spam allowance.</summary>
public sealed class BlockingOptions
{
    public BlockedCallerTreatment Treatment { get; set; } = BlockedCallerTreatment.NotAvailable;

    /// <summary>Calls marked spam are not billed up to this share of the plan's included calls per period.</summary>
    [Range(0, 100)]
    public int SpamAllowancePercent { get; set; } = 10;

    /// <summary>How long the "block this caller" link of a summary email stays valid.</summary>
    [TimeSpanRange("00:05:00", "365.00:00:00")]
    public TimeSpan BlockLinkLifetime { get; set; } = TimeSpan.FromDays(30);
}
