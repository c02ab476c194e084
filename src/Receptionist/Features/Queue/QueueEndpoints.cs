using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Summaries;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Queue;

/// <param name="Reason">For away: break or training (missedOffers is routing's own).</param>
public sealed record PresenceRequest(
    [property: Required, AllowedValues("available", "away", "offline")] string State,
    [property: AllowedValues(null, "break", "training")] string? Reason = null);

/// <param name="UpdatedAt">Since when the operator is in this state (the console's timer counts from here).</param>
/// <param name="Reason">Why away: break, training, missedOffers.</param>
/// <param name="OfferSeconds">How long an offer rings (the console's countdown).</param>
public sealed record PresenceResponse(
    PresenceState State, DateTimeOffset? UpdatedAt, AwayReason? Reason, int MissedOffers, int OfferSeconds, int WrapUpSeconds);

public static class QueueEndpoints
{
    public static IServiceCollection AddQueue(this IServiceCollection services)
    {
        services.AddOptions<RoutingOptions>().BindConfiguration("Routing").ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<CallQueue>();
        services.AddScoped<ClaimedCallBuilder>();
        services.AddSingleton<CallRouter>();
        services.AddHostedService<CallRoutingService>();
        return services;
    }

    public static IEndpointRouteBuilder MapQueue(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup("/api/console").WithTags("Console").RequireAuthorization(Policies.Operator);
        console.MapGet("/presence", GetPresence).WithName(nameof(GetPresence));
        console.MapPut("/presence", SetPresence).WithName(nameof(SetPresence)).WithSummary("Go available or offline");
        console.MapGet("/voice-token", IssueVoiceToken).WithName(nameof(IssueVoiceToken))
            .WithSummary("A short-lived token with which this console registers to receive bridged callers");
        console.MapGet("/calls/current", CurrentCall).WithName(nameof(CurrentCall))
            .WithSummary("The call this operator is on or still owes a summary for (a reloaded console picks it up)");
        console.MapPost("/calls/next", ClaimNextCall).WithName(nameof(ClaimNextCall))
            .WithSummary("Give this operator the longest-waiting call and bridge the caller to them");
        console.MapPost("/calls/{id:guid}/decline", DeclineOffer).WithName(nameof(DeclineOffer))
            .WithSummary("Decline the call ringing in this console: it goes to the next operator; a short cooldown follows");
        app.MapOperatorSkills();
        return app;
    }

    static async Task<Ok<PresenceResponse>> GetPresence(AppDbContext db, CurrentUser me, IOptions<RoutingOptions> routing,
        CancellationToken ct)
    {
        var operatorId = me.Id;
        var presence = await db.Set<OperatorPresence>().AsNoTracking().FirstOrDefaultAsync(p => p.OperatorId == operatorId, ct);
        return TypedResults.Ok(Describe(presence, routing.Value));
    }

    static PresenceResponse Describe(OperatorPresence? presence, RoutingOptions routing) =>
        new(presence?.State ?? PresenceState.Offline, presence?.UpdatedAt, presence?.AwayReason, presence?.MissedOffers ?? 0,
            routing.OfferSeconds, routing.WrapUpSeconds);

    static async Task<Results<Ok<PresenceResponse>, ProblemHttpResult>> SetPresence(
        PresenceRequest request, AppDbContext db, CurrentUser me, TimeProvider clock, IOptions<RoutingOptions> routing,
        CancellationToken ct)
    {
        var operatorId = me.Id;
        var state = request.State switch
        {
            "available" => PresenceState.Available,
            "away" => PresenceState.Away,
            _ => PresenceState.Offline,
        };
        AwayReason? reason = state == PresenceState.Away ? request.Reason == "training" ? AwayReason.Training : AwayReason.Break : null;
        // Busy is decided by the call itself, not by a stale presence row: with no call in progress, any change goes.
        // A caller handed over to the owner is not the operator's any more.
        var onCall = await db.Set<Call>().AnyAsync(c => c.OperatorId == operatorId
            && (c.Status == CallStatus.Claimed || c.Status == CallStatus.Answered)
            && !db.Set<Transfers.CallTransfer>().Any(t => t.CallId == c.Id
                && (t.State == Transfers.TransferState.Connected || t.State == Transfers.TransferState.Sent)), ct);
        if (onCall)
            return TypedResults.Problem("You are on a call; presence changes when it ends.", statusCode: StatusCodes.Status409Conflict);
        var now = clock.GetUtcNow();
        // Choosing a state by hand starts the run of missed offers again and ends any cooldown.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO operator_presence (operator_id, state, updated_at, away_reason) VALUES ({operatorId}, {state.ToString()}, {now}, {reason?.ToString()})
            ON CONFLICT (operator_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
                away_reason = excluded.away_reason, missed_offers = 0, offerable_at = NULL
            """, ct);
        var presence = await db.Set<OperatorPresence>().AsNoTracking().FirstOrDefaultAsync(p => p.OperatorId == operatorId, ct);
        return TypedResults.Ok(Describe(presence, routing.Value));
    }

    /// <summary>
    /// The operator says no to the call ringing in their console: it goes back to its place and on to the next operator
    /// at once (the caller's leg is moved off this console), and this operator cools down briefly. Not a miss.
    /// </summary>
    static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeclineOffer(
        Guid id, AppDbContext db, CallFlow calls, CallQueue queue, CurrentUser me, ITelephonyProvider telephony,
        IOptions<AppOptions> app, ILogger<CallQueue> logger, CancellationToken ct)
    {
        var operatorId = me.Id;
        var call = await db.Set<Call>().AsNoTracking().Where(c => c.Id == id && c.OperatorId == operatorId)
            .Select(c => new { c.ProviderCallId, c.Status }).FirstOrDefaultAsync(ct);
        if (call is null)
            return TypedResults.NotFound();
        if (call.Status != CallStatus.Claimed || !await calls.OfferEndedAsync(id, operatorId, OfferEnd.Declined, ct))
            return TypedResults.Problem("This call is no longer ringing for you.", statusCode: StatusCodes.Status409Conflict,
                title: "Nothing to decline");
        try
        {
            await telephony.RedirectCallAsync(call.ProviderCallId, CallInstructions.Fetch(app.Value.Url(TwilioCallWebhooks.BridgePath(id))), ct);
        }
        catch (TelephonyException e) when (e.CallIsOver)
        {
            await calls.CallerGoneAsync(id, ct);
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e) || e is InvalidOperationException)
        {
            // The call waits in the queue as recorded; the operator's ring ends with the offer's time.
            logger.LogWarning(e, "Could not move declined call {CallId} on", id);
        }
        return TypedResults.NoContent();
    }

    /// <summary>How many callers found gone one claim request steps over before giving up for this time.</summary>
    const int GoneCallersSkipped = 5;

    static async Task<Results<Ok<ClaimedCall>, NoContent, ProblemHttpResult>> ClaimNextCall(
        AppDbContext db, CallQueue queue, CallFlow calls, ClaimedCallBuilder builder, CurrentUser me, ITelephonyProvider telephony,
        IOptions<AppOptions> app, ILogger<CallQueue> logger, CancellationToken ct)
    {
        var operatorId = me.Id;
        for (var attempt = 0; attempt <= GoneCallersSkipped; attempt++)
        {
            var claimed = await queue.ClaimNextAsync(operatorId, ct);
            if (claimed is null)
            {
                var available = await db.Set<OperatorPresence>()
                    .AnyAsync(p => p.OperatorId == operatorId && p.State == PresenceState.Available, ct);
                return available
                    ? TypedResults.NoContent()
                    : TypedResults.Problem("Set yourself available before taking calls.", statusCode: StatusCodes.Status409Conflict,
                        title: "Not available");
            }

            try
            {
                await telephony.RedirectCallAsync(claimed.ProviderCallId,
                    CallInstructions.Fetch(app.Value.Url(TwilioCallWebhooks.BridgePath(claimed.Id))), ct);
                return TypedResults.Ok(await builder.BuildAsync(claimed, operatorId, ct));
            }
            catch (TelephonyException e) when (e.CallIsOver)
            {
                // The caller hung up and the reports saying so were lost: a dead call never blocks a live one. It ends
                // as abandoned (the owner hears of it), the operator is free again, and takes the next caller.
                logger.LogInformation("Call {CallId} was over when claimed; taking the next one", claimed.Id);
                await calls.CallerGoneAsync(claimed.Id, ct);
            }
            catch (Exception e) when (TelephonyException.IsProviderFailure(e) || e is InvalidOperationException)
            {
                logger.LogWarning(e, "Could not bridge call {CallId}; it waits again", claimed.Id);
                await queue.ReturnAsync(claimed.Id, PresenceState.Available, ct);
                return TypedResults.Problem("The provider could not connect this caller; the call is back in the queue.",
                    statusCode: StatusCodes.Status502BadGateway, title: "Bridge failed");
            }
        }
        return TypedResults.NoContent();
    }

    static Results<Ok<OperatorEndpointToken>, ProblemHttpResult> IssueVoiceToken(ITelephonyProvider telephony, CurrentUser me) =>
        telephony.CreateOperatorEndpointToken(me.Id) is { } token
            ? TypedResults.Ok(token)
            : TypedResults.Problem("Browser calling is not configured (Twilio:ApiKeySid and Twilio:ApiKeySecret).",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Softphone not configured");

    const int RecentCallsOwingSummary = 20;

    static async Task<Results<Ok<ClaimedCall>, NoContent>> CurrentCall(
        AppDbContext db, ClaimedCallBuilder builder, CurrentUser me, CancellationToken ct)
    {
        var operatorId = me.Id;
        // Two lookups, each on its own partial index: the call in progress, else an answered call owing its summary
        // (a call in progress was always claimed after any call the operator has finished). Only the operator's
        // latest answered calls are looked at for a missing summary, so the cost does not grow with their history;
        // an older one stays in the call log.
        var current = await db.Set<Call>()
            .Where(c => c.OperatorId == operatorId && (c.Status == CallStatus.Claimed || c.Status == CallStatus.Answered))
            .OrderByDescending(c => c.ClaimedAt)
            .Select(c => new ClaimedCallRow(c.Id, c.BusinessId, c.ProviderCallId, c.CallerNumber, c.ReceivedAt))
            .FirstOrDefaultAsync(ct)
            ?? await db.Set<Call>()
            .Where(c => c.OperatorId == operatorId && c.Status == CallStatus.Ended && c.Outcome == CallOutcome.Answered)
            .OrderByDescending(c => c.ClaimedAt).Take(RecentCallsOwingSummary)
            .Where(c => !db.Set<CallSummary>().Any(s => s.CallId == c.Id))
            .OrderByDescending(c => c.ClaimedAt)
            .Select(c => new ClaimedCallRow(c.Id, c.BusinessId, c.ProviderCallId, c.CallerNumber, c.ReceivedAt))
            .FirstOrDefaultAsync(ct);
        return current is null ? TypedResults.NoContent() : TypedResults.Ok(await builder.BuildAsync(current, operatorId, ct));
    }
}
