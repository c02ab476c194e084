using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Calls;
using Receptionist.Features.Webhooks;

namespace Receptionist.Features.Blocking;

/// <summary>The business a blocked caller tried to reach, for the words they hear.</summary>
public sealed record BlockedCall(Guid CallId, Guid BusinessId, string BusinessName, string Language);

/// <summary>
/// A caller on the dialled business's block list. The incoming call's own statement (Calls/CallFlow.IncomingAsync)
/// looks the list up by its index and records the call as ended with the outcome Blocked, so it is never queued, never
/// billed and shows in the call log; here owners subscribed to call.blocked hear of it, once: the delivery that
/// recorded the call publishes, a repeated one does not.
/// </summary>
public sealed class CallScreen(AppDbContext db, OwnerEvents events)
{
    public async Task<BlockedCall> RecordedAsync(IncomingDecision.Blocked blocked, CancellationToken ct)
    {
        if (blocked.Recorded)
        {
            var call = await db.Set<Call>().AsNoTracking().FirstAsync(c => c.Id == blocked.CallId, ct);
            await events.PublishAsync(db, OwnerEventTypes.CallBlocked, blocked.BusinessId, new EventData(events.Describe(call)), ct);
            await db.SaveChangesAsync(ct);
        }
        return new BlockedCall(blocked.CallId, blocked.BusinessId, blocked.BusinessName, blocked.Language);
    }
}
