using Receptionist.Features.Telephony;

namespace Receptionist.Features.Blocking;

/// <summary>What a blocked caller hears: nothing that tells them they were blocked.</summary>
public static class BlockedCallerAnswer
{
    public static TwiMLResponse For(BlockedCall call, BlockedCallerTreatment treatment)
    {
        if (treatment == BlockedCallerTreatment.Busy)
            return TwiML.Response(TwiML.Reject("busy"));
        var english = call.Language.StartsWith("en", StringComparison.Ordinal);
        var words = english
            ? "The number you have called is not available. Please try again later."
            : "Номер, на который вы звоните, недоступен. Пожалуйста, перезвоните позже.";
        return TwiML.Response(TwiML.Say(words, language: call.Language), TwiML.Hangup());
    }
}
