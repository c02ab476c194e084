using System.ComponentModel.DataAnnotations;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Queue;

/// <summary>
/// The routing rules that are configuration (section "Routing"); the rest lives in the database: each operator's
/// languages and trained businesses (operator_presence) and each business's language. <see cref="CallQueue"/> reads
/// both in the one statement that offers a call, so the rules are in one place.
/// </summary>
public sealed class RoutingOptions
{
    /// <summary>Calls are offered to operators as they arrive and as operators become free (TaskRouter's and
    /// mod_callcenter's push); false leaves only "take next call".</summary>
    public bool Push { get; set; } = true;

    /// <summary>How long an offer rings before it moves on to the next operator (at most the 20 s reconciliation
    /// allows an operator's console to ring).</summary>
    [Range(5, 20)]
    public int OfferSeconds { get; set; } = 15;

    /// <summary>An offer the provider has not reported on this long after it ran out is settled by our own clock
    /// (the report that it ended was lost).</summary>
    [Range(1, 60)]
    public int OfferReportGraceSeconds { get; set; } = 3;

    /// <summary>Offers missed in a row after which an operator is set away (mod_callcenter's max-no-answer).</summary>
    [Range(1, 20)]
    public int MissedOffersBeforeAway { get; set; } = 2;

    /// <summary>After declining, an operator is not offered another call for this long (reject-delay-time).</summary>
    [Range(0, 600)]
    public int DeclineCooldownSeconds { get; set; } = 5;

    /// <summary>After a missed offer, an operator is not offered another call for this long (no-answer-delay-time), so
    /// the call just missed goes to someone else first.</summary>
    [Range(0, 600)]
    public int MissedOfferDelaySeconds { get; set; } = 5;

    /// <summary>Wrap-up ends on its own after this long and the operator is available again (wrap-up-time).</summary>
    [Range(5, 3600)]
    public int WrapUpSeconds { get; set; } = 60;

    /// <summary>A call waits this long for an operator who speaks its business's language, then goes to anyone
    /// available, so the 30 s answer promise is kept.</summary>
    [Range(0, 300)]
    public int WidenAfterSeconds { get; set; } = 15;

    /// <summary>How often each instance looks for offers run out, wrap-ups over and calls to offer, besides being woken
    /// by every change.</summary>
    [TimeSpanRange("00:00:00.100", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);
}
