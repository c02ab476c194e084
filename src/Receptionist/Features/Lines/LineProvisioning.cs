using Npgsql;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Lines;

/// <summary>
/// When the pool has no free line and the telephony provider is configured, buys a local number in the
/// business's country, with its webhooks pointed at us, and assigns it. Any failure leaves the business
/// awaiting a line (an admin can add one to the pool, which assigns it at once).
/// </summary>
public sealed class LineProvisioning(AppDbContext db, ITelephonyProvider telephony, TimeProvider clock, ILogger<LineProvisioning> logger)
{
    public async Task<string?> BuyForAsync(Guid businessId, string protectedNumber, CancellationToken ct)
    {
        if (!telephony.IsConfigured)
            return null;
        try
        {
            var offered = await telephony.FindAvailableNumbersAsync(E164.RegionOf(protectedNumber), areaCode: null, ct);
            if (offered.Count == 0)
            {
                logger.LogWarning("The provider offers no numbers for {Region}; business {BusinessId} awaits a line",
                    E164.RegionOf(protectedNumber), businessId);
                return null;
            }
            var bought = await telephony.BuyNumberAsync(NumberToBuy.Exactly(offered[0]), ct);
            var now = clock.GetUtcNow();
            db.Add(new ReceptionistLine
            {
                Number = bought.Number, ProviderSid = bought.ProviderId, BusinessId = businessId, AddedAt = now, AssignedAt = now,
            });
            await db.SaveChangesAsync(ct);
            return bought.Number;
        }
        catch (TelephonyException e)
        {
            logger.LogWarning(e, "Could not buy a line for business {BusinessId}; it awaits one", businessId);
            return null;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // An admin's new pool line reached the business first; the bought number stays in the pool records.
            logger.LogWarning(e, "Business {BusinessId} got a line while one was being bought", businessId);
            return null;
        }
    }
}
