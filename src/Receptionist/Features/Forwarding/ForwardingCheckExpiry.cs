using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Accounts;

namespace Receptionist.Features.Forwarding;

/// <summary>
/// Fails checks whose test call has not come back within <see cref="ForwardingCheck.Timeout"/> and emails the owner what
/// to do: when the owner reads the check, and every few seconds on every instance, so an owner who closed the page is
/// told too. One guarded statement per pass, so however many instances and readers race, each check fails once.
/// </summary>
public sealed class ForwardingCheckExpiry(IServiceScopeFactory scopes, TimeProvider clock, ILogger<ForwardingCheckExpiry> logger)
    : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    public const string TimeoutReason = "The test call did not come back forwarded within 90 seconds. " +
                                        "Check the forwarding codes were accepted by your operator and try again.";

    /// <summary>Fails the overdue checks (of one business, or of all) and adds their emails, in its own transaction.</summary>
    public static async Task ExpireOverdueAsync(AppDbContext db, OwnerEmails ownerEmails, DateTimeOffset now, Guid? businessId,
        CancellationToken ct)
    {
        var overdue = now - ForwardingCheck.Timeout;
        var everyBusiness = businessId is null;
        var onlyBusiness = businessId ?? Guid.Empty;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var failed = await db.Database.SqlQuery<ExpiredCheck>($"""
            UPDATE forwarding_checks SET state = 'Failed', completed_at = started_at + {ForwardingCheck.Timeout}, failure_reason = {TimeoutReason}
            WHERE state = 'Pending' AND started_at <= {overdue} AND ({everyBusiness} OR business_id = {onlyBusiness})
            RETURNING id, business_id
            """).ToListAsync(ct);
        foreach (var check in failed)
            await ownerEmails.ForwardingCheckedAsync(db, check.BusinessId, check.Id, passed: false, timedOut: true, providerMessage: null, now, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
                await using var scope = scopes.CreateAsyncScope();
                await ExpireOverdueAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(),
                    scope.ServiceProvider.GetRequiredService<OwnerEmails>(), clock.GetUtcNow(), businessId: null, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The next pass tries again; a read of the check settles it meanwhile.
                logger.LogWarning(e, "Overdue forwarding checks could not be settled");
            }
        }
    }

    sealed record ExpiredCheck(Guid Id, Guid BusinessId);
}
