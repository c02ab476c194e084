using System.ComponentModel.DataAnnotations;

namespace Receptionist.Features.Metrics;

/// <summary>The thresholds behind the service-level figures (DESIGN.md, "Measures"); the billing SLA is Calls:AnswerSlaSeconds.</summary>
public sealed class MetricsOptions
{
    /// <summary>T of the service level: a call answered within this many seconds counts as answered in time (80/20).</summary>
    [Range(1, 600)]
    public int ServiceLevelSeconds { get; set; } = 20;

    /// <summary>A caller who hangs up within this many seconds of entering the queue is a short abandon, left out of SL and abandonment.</summary>
    [Range(0, 120)]
    public int ShortAbandonSeconds { get; set; } = 5;

    /// <summary>The service level the wallboard alerts under (0–1).</summary>
    [Range(0.0, 1.0)]
    public double ServiceLevelTarget { get; set; } = 0.8;

    /// <summary>The wallboard's alert looks at this many last minutes.</summary>
    [Range(5, 240)]
    public int AlertWindowMinutes { get; set; } = 30;

    /// <summary>Where the admin's "today", dates and hours of day are counted (an owner's are in the business's own zone).</summary>
    [Required]
    public string TimeZone { get; set; } = "Europe/Moscow";

    /// <summary>The longest period one report covers, to bound the query.</summary>
    [Range(1, 400)]
    public int MaxPeriodDays { get; set; } = 92;

    /// <summary>
    /// How often each instance sums the closed hours of the call record for long reports (<see cref="MetricsRollup"/>);
    /// zero: never, and reports read the calls alone.
    /// </summary>
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(1);
}
