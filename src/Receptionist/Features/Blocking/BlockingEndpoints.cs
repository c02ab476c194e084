using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Blocking;

public sealed record BlockCallerRequest(
    [property: Required, MaxLength(40)] string Number,
    [property: MaxLength(BlockedCaller.NoteLength)] string? Note = null,
    DateTimeOffset? ExpiresAt = null);

public sealed record BlockCallRequest(
    [property: MaxLength(BlockedCaller.NoteLength)] string? Note = null,
    DateTimeOffset? ExpiresAt = null);

public sealed record BlockedCallerView(Guid Id, string Number, string? Note, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

public sealed record BlockLinkRequest([property: Required, MaxLength(2000)] string Token);

/// <summary>What a "block this caller" link would block, and whether it already is.</summary>
public sealed record BlockLinkView(string BusinessName, string Number, bool Blocked);

public static class BlockingEndpoints
{
    public static IServiceCollection AddBlocking(this IServiceCollection services)
    {
        services.AddOptions<BlockingOptions>().BindConfiguration("Blocking").ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<CallScreen>();
        services.AddSingleton<SpamBilling>();
        services.AddSingleton<BlockLinks>();
        return services;
    }

    public static IEndpointRouteBuilder MapBlocking(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}").WithTags("Blocking").RequireAuthorization(Policies.Owner);
        owner.MapGet("/blocked-callers", ListBlockedCallers).WithName(nameof(ListBlockedCallers))
            .WithSummary("The business's block list, newest first");
        owner.MapPost("/blocked-callers", BlockCaller).WithName(nameof(BlockCaller))
            .WithSummary("Block a number (again: replaces its note and expiry)");
        owner.MapDelete("/blocked-callers/{blockedId:guid}", UnblockCaller).WithName(nameof(UnblockCaller));
        owner.MapPost("/calls/{callId:guid}/block", BlockCallersNumber).WithName(nameof(BlockCallersNumber))
            .WithSummary("Block the number a call came from");

        // The signed token is the authorization: whoever holds the owner's email link may block that one number.
        var link = app.MapGroup("/api/block-link").WithTags("Blocking").AllowAnonymous();
        link.MapGet("/", DescribeBlockLink).WithName(nameof(DescribeBlockLink))
            .WithSummary("What a summary email's block link would block");
        link.MapPost("/", ConfirmBlockLink).WithName(nameof(ConfirmBlockLink))
            .WithSummary("Confirm a summary email's block link: the number is blocked");
        return app;
    }

    static async Task<Results<Ok<List<BlockedCallerView>>, NotFound>> ListBlockedCallers(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var rows = await db.Set<BlockedCaller>().Where(x => x.BusinessId == id)
            .OrderByDescending(x => x.CreatedAt).Take(1000).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(ToView).ToList());
    }

    static async Task<Results<Created<BlockedCallerView>, NotFound, ValidationProblem>> BlockCaller(
        Guid id, BlockCallerRequest request, AppDbContext db, CurrentUser owner, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!E164.TryParse(request.Number, out var number))
            errors["number"] = ["Not a valid phone number."];
        CheckExpiry(request.ExpiresAt, clock, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var blocked = await BlockAsync(db, id, number, request.Note, request.ExpiresAt, clock.GetUtcNow(), ct);
        return TypedResults.Created($"/api/businesses/{id}/blocked-callers/{blocked.Id}", ToView(blocked));
    }

    static async Task<Results<NoContent, NotFound>> UnblockCaller(
        Guid id, Guid blockedId, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var ownerId = owner.Id;
        var removed = await db.Set<BlockedCaller>()
            .Where(x => x.Id == blockedId && x.BusinessId == id && db.Set<Business>().Any(b => b.Id == id && b.OwnerId == ownerId))
            .ExecuteDeleteAsync(ct);
        return removed > 0 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    static async Task<Results<Created<BlockedCallerView>, NotFound, ValidationProblem>> BlockCallersNumber(
        Guid id, Guid callId, BlockCallRequest request, AppDbContext db, CurrentUser owner, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        CheckExpiry(request.ExpiresAt, clock, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var caller = await db.OwnedBy(owner).Where(b => b.Id == id)
            .Join(db.Set<Call>(), b => b.Id, c => c.BusinessId, (b, c) => c)
            .Where(c => c.Id == callId).Select(c => c.CallerNumber).FirstOrDefaultAsync(ct);
        if (caller is null)
            return TypedResults.NotFound();
        // A withheld or malformed caller id cannot be blocked: it would match every anonymous caller.
        if (!E164.TryParse(caller, out var number) || number != caller)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["callId"] = ["The call has no caller number to block."] });
        var blocked = await BlockAsync(db, id, number, request.Note, request.ExpiresAt, clock.GetUtcNow(), ct);
        return TypedResults.Created($"/api/businesses/{id}/blocked-callers/{blocked.Id}", ToView(blocked));
    }

    static async Task<Results<Ok<BlockLinkView>, ValidationProblem>> DescribeBlockLink(
        string? token, BlockLinks links, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (links.Read(token) is not { } link)
            return InvalidToken();
        var (businessId, number) = link;
        var name = await db.Set<Business>().Where(b => b.Id == businessId).Select(b => b.Name).FirstOrDefaultAsync(ct);
        if (name is null)
            return InvalidToken();
        var now = clock.GetUtcNow();
        var blocked = await db.Set<BlockedCaller>().AnyAsync(x => x.BusinessId == businessId && x.Number == number
            && (x.ExpiresAt == null || x.ExpiresAt > now), ct);
        return TypedResults.Ok(new BlockLinkView(name, number, blocked));
    }

    static async Task<Results<Ok<BlockLinkView>, ValidationProblem>> ConfirmBlockLink(
        BlockLinkRequest request, BlockLinks links, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (links.Read(request.Token) is not { } link)
            return InvalidToken();
        var (businessId, number) = link;
        var name = await db.Set<Business>().Where(b => b.Id == businessId).Select(b => b.Name).FirstOrDefaultAsync(ct);
        if (name is null)
            return InvalidToken();
        await BlockAsync(db, businessId, number, note: null, expiresAt: null, clock.GetUtcNow(), ct);
        return TypedResults.Ok(new BlockLinkView(name, number, true));
    }

    static ValidationProblem InvalidToken() => TypedResults.ValidationProblem(new Dictionary<string, string[]>
    {
        ["token"] = ["The link is not valid or has expired; block the number from your call log instead."],
    });

    static void CheckExpiry(DateTimeOffset? expiresAt, TimeProvider clock, Dictionary<string, string[]> errors)
    {
        if (expiresAt is { } expires && expires <= clock.GetUtcNow())
            errors["expiresAt"] = ["Must be in the future."];
    }

    /// <summary>Adds the number to the block list, or replaces the note and expiry of its entry: one statement, so two
    /// owners' clicks at once leave one row.</summary>
    public static async Task<BlockedCaller> BlockAsync(AppDbContext db, Guid businessId, string number, string? note,
        DateTimeOffset? expiresAt, DateTimeOffset now, CancellationToken ct)
    {
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var rows = await db.Set<BlockedCaller>().FromSql($"""
            INSERT INTO blocked_callers (id, business_id, number, note, expires_at, created_at)
            VALUES ({Guid.CreateVersion7()}, {businessId}, {number}, {note}, {expiresAt}, {now})
            ON CONFLICT (business_id, number) DO UPDATE
                SET note = COALESCE(excluded.note, blocked_callers.note), expires_at = excluded.expires_at
            RETURNING *
            """).AsNoTracking().ToListAsync(ct);
        return rows.Single();
    }

    static BlockedCallerView ToView(BlockedCaller x) => new(x.Id, x.Number, x.Note, x.ExpiresAt, x.CreatedAt);
}
