using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Forwarding;

/// <param name="ReasonCode">Why it failed, for programs and pages to word themselves: <c>timeout</c>, <c>notPlaced</c> or <c>replaced</c>.</param>
public sealed record ForwardingCheckResponse(Guid Id, ForwardingCheckState State, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt,
    string? FailureReason, string? ReasonCode);

public static class ForwardingEndpoints
{
    /// <summary>What the test call does if a person answers it instead of forwarding: stay silent briefly, hang up.</summary>
    public const string CheckAnswerPath = "/telephony/twilio/forwarding-check-answer";

    public static IEndpointRouteBuilder MapForwarding(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/forwarding").WithTags("Forwarding").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", GetForwarding).WithName(nameof(GetForwarding))
            .WithSummary("Forwarding codes and PBX steps for the business's receptionist line");
        owner.MapPost("/check", StartForwardingCheck).WithName(nameof(StartForwardingCheck))
            .WithSummary("Place a test call to the protected number and expect it back, forwarded");
        owner.MapGet("/check", GetForwardingCheck).WithName(nameof(GetForwardingCheck))
            .WithSummary("The latest forwarding check: pending, passed, or failed with a reason");

        app.MapGroup("/telephony/twilio").WithTags("Telephony").RequireTwilioSignature()
            .MapPost("/forwarding-check-answer", () => TwiML.Response(TwiML.Pause(2), TwiML.Hangup()))
            .WithName("ForwardingCheckAnswered");
        return app;
    }

    static async Task<Results<Ok<ForwardingResponse>, NotFound, ValidationProblem, ProblemHttpResult>> GetForwarding(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct, int? noAnswerSeconds = null)
    {
        var seconds = noAnswerSeconds ?? ForwardingInstructions.DefaultNoAnswerSeconds;
        if (seconds is < ForwardingInstructions.MinNoAnswerSeconds or > ForwardingInstructions.MaxNoAnswerSeconds)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["noAnswerSeconds"] = [$"Must be from {ForwardingInstructions.MinNoAnswerSeconds} to {ForwardingInstructions.MaxNoAnswerSeconds}."],
            });

        var row = await db.OwnedBy(owner).Where(b => b.Id == id).WithLines(db).FirstOrDefaultAsync(ct);
        if (row is null)
            return TypedResults.NotFound();
        if (row.Line is null)
            return AwaitingLine();
        return TypedResults.Ok(ForwardingInstructions.For(row.Line, seconds, row.Business.Language));
    }

    static async Task<Results<Accepted<ForwardingCheckResponse>, NotFound, ProblemHttpResult, ProblemHttpResultWithRetryAfter>> StartForwardingCheck(
        Guid id, AppDbContext db, CurrentUser owner, ITelephonyProvider telephony, IOptions<AppOptions> app,
        ServedNumbers served, IOptions<ForwardingOptions> limits, OwnerEmails ownerEmails, TimeProvider clock, ILogger<ForwardingCheck> logger,
        CancellationToken ct)
    {
        var row = await db.OwnedBy(owner).Where(b => b.Id == id).WithLines(db).FirstOrDefaultAsync(ct);
        if (row is null)
            return TypedResults.NotFound();
        if (row.Line is null)
            return AwaitingLine();
        if (!telephony.IsConfigured)
            return TypedResults.Problem("The telephony provider is not configured, so no test call can be placed.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Telephony not configured");
        // Numbers saved before the rule (or before the allowed countries changed) are still never called.
        if (served.WhyNotServed(row.Business.ProtectedNumber) is { } notServed)
            return TypedResults.Problem(notServed, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Number not served");

        // One owner's checks are decided one at a time, so concurrent requests cannot all slip under the limits.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var ownerId = owner.Id;
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({ownerId.ToString()}, 13))", ct);
        if (await TooSoonAsync(db, id, ownerId, limits.Value, clock.GetUtcNow(), ct) is { } refused)
            return refused;

        var check = new ForwardingCheck { BusinessId = id, State = ForwardingCheckState.Pending, StartedAt = clock.GetUtcNow() };
        // A new check replaces any pending one, so the webhook matches at most one.
        await db.Set<ForwardingCheck>().Where(c => c.BusinessId == id && c.State == ForwardingCheckState.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, ForwardingCheckState.Failed)
                .SetProperty(c => c.FailureReason, ReplacedReason)
                .SetProperty(c => c.CompletedAt, check.StartedAt), ct);
        db.Add(check);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        try
        {
            check.ProviderCallId = await telephony.PlaceCallAsync(
                new OutgoingCall(row.Line, row.Business.ProtectedNumber, CallInstructions.Fetch(app.Value.Url(CheckAnswerPath)), TimeoutSeconds: 60), ct);
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e))
        {
            logger.LogWarning(e, "Forwarding check call for business {BusinessId} could not be placed", id);
            var providerMessage = (e as TelephonyException)?.ProviderMessage;
            check.State = ForwardingCheckState.Failed;
            check.CompletedAt = clock.GetUtcNow();
            check.FailureReason = providerMessage is not null
                ? $"The test call could not be placed: {providerMessage}"
                : "The test call could not be placed: the telephony provider did not answer. Try again in a few minutes.";
            await using var failed = await db.Database.BeginTransactionAsync(ct);
            await ownerEmails.ForwardingCheckedAsync(db, id, check.Id, passed: false, timedOut: false, providerMessage, check.CompletedAt.Value, ct);
            await db.SaveChangesAsync(ct);
            await failed.CommitAsync(ct);
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Accepted($"/api/businesses/{id}/forwarding/check", ToResponse(check));
    }

    static async Task<Results<Ok<ForwardingCheckResponse>, NotFound>> GetForwardingCheck(
        Guid id, AppDbContext db, CurrentUser owner, OwnerEmails ownerEmails, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        // Settled on read too, so the page shows the failure the moment the timeout passes.
        await ForwardingCheckExpiry.ExpireOverdueAsync(db, ownerEmails, clock.GetUtcNow(), id, ct);
        var check = await db.OwnedBy(owner).Where(b => b.Id == id)
            .Join(db.Set<ForwardingCheck>(), b => b.Id, c => c.BusinessId, (b, c) => c)
            .OrderByDescending(c => c.StartedAt).FirstOrDefaultAsync(ct);
        return check is null ? TypedResults.NotFound() : TypedResults.Ok(ToResponse(check));
    }

    /// <summary>The per-business cooldown and the per-owner daily cap, as a 429 saying when the next check may run.</summary>
    static async Task<ProblemHttpResultWithRetryAfter?> TooSoonAsync(
        AppDbContext db, Guid businessId, Guid ownerId, ForwardingOptions limits, DateTimeOffset now, CancellationToken ct)
    {
        var last = await db.Set<ForwardingCheck>().Where(c => c.BusinessId == businessId).MaxAsync(c => (DateTimeOffset?)c.StartedAt, ct);
        if (last is { } previous && now - previous < limits.CheckCooldown)
            return Throttling.TooManyRequests(previous + limits.CheckCooldown - now,
                $"A forwarding check ran at {previous:HH:mm:ss} UTC; the next one may start at {previous + limits.CheckCooldown:HH:mm:ss} UTC.");

        var dayAgo = now.AddDays(-1);
        var today = await db.Set<Business>().Where(b => b.OwnerId == ownerId)
            .Join(db.Set<ForwardingCheck>(), b => b.Id, c => c.BusinessId, (b, c) => c.StartedAt)
            .Where(startedAt => startedAt > dayAgo).OrderByDescending(startedAt => startedAt)
            .Take(limits.ChecksPerOwnerPerDay).ToListAsync(ct);
        if (today.Count < limits.ChecksPerOwnerPerDay)
            return null;
        var next = today[^1].AddDays(1); // when the oldest of the last N leaves the 24-hour window
        return Throttling.TooManyRequests(next - now,
            $"At most {limits.ChecksPerOwnerPerDay} forwarding checks a day; the next one may start at {next:yyyy-MM-dd HH:mm:ss} UTC.");
    }

    static ProblemHttpResult AwaitingLine() => TypedResults.Problem(
        "The business is awaiting a receptionist line; forwarding can be set up once one is assigned.",
        statusCode: StatusCodes.Status409Conflict, title: "Awaiting line");

    const string ReplacedReason = "Replaced by a newer check.";

    static ForwardingCheckResponse ToResponse(ForwardingCheck c) =>
        new(c.Id, c.State, c.StartedAt, c.CompletedAt, c.FailureReason, c.State != ForwardingCheckState.Failed ? null
            : c.FailureReason == ForwardingCheckExpiry.TimeoutReason ? "timeout"
            : c.FailureReason == ReplacedReason ? "replaced"
            : "notPlaced");
}
