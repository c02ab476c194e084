namespace Receptionist.Features.Calls;

/// <summary>
/// Why a call is billed or not, as a code the owner's pages word themselves (<c>call.billing.{code}</c> in the
/// dictionaries). The rules are data, checked in order, so a new reason (a blocked spam call, say) is one more line here
/// and one more dictionary entry.
/// </summary>
public static class CallBillingReason
{
    public const string Billable = "billable";

    static readonly (string Code, Func<Call, bool> Applies)[] Rules =
    [
        ("inProgress", c => c.Status != CallStatus.Ended && c.Outcome is null),
        (Billable, c => c.Billable),
        ("waitedOverSla", c => c.Outcome == CallOutcome.Answered),
        ("notAnswered", _ => true),
    ];

    public static string Of(Call call) => Rules.First(rule => rule.Applies(call)).Code;
}
