using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;
using Receptionist.Features.Summaries;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Calls;

public sealed record CallView(
    Guid Id,
    string CallerNumber,
    CallStatus Status,
    CallOutcome? Outcome,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? AnsweredAt,
    DateTimeOffset? EndedAt,
    int? WaitSeconds,
    bool Billable,
    string? RecordingUrl,
    SummaryView? Summary,
    TransferView? Transfer = null);

/// <param name="HoldSeconds">How long the caller held for the owner (warm); never billed.</param>
public sealed record TransferView(Transfers.TransferMode Mode, Transfers.TransferState State, int? HoldSeconds);

public sealed record CallPage(IReadOnlyList<CallView> Items, int Page, int PageSize, int Total);

public static class CallEndpoints
{
    const int MaxPageSize = 100;

    public static IServiceCollection AddCalls(this IServiceCollection services)
    {
        services.AddOptions<CallOptions>().BindConfiguration("Calls").ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<CallFlow>();
        services.AddSingleton<CallReconciler>();
        services.AddHostedService<CallReconciliationService>();
        return services;
    }

    public static IEndpointRouteBuilder MapCalls(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/calls").WithTags("Calls").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", ListCalls).WithName(nameof(ListCalls))
            .WithSummary("The business's calls, newest first; filter by date range and outcome");
        owner.MapGet("/{callId:guid}", GetCall).WithName(nameof(GetCall));
        return app;
    }

    static async Task<Results<Ok<CallPage>, NotFound, ValidationProblem>> ListCalls(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct,
        int page = 1, int pageSize = 20, DateTimeOffset? from = null, DateTimeOffset? to = null, string? outcome = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (page is < 1 or > 100_000) // beyond that (page - 1) * pageSize overflows
            errors["page"] = ["Must be from 1 to 100000."];
        if (pageSize is < 1 or > MaxPageSize)
            errors["pageSize"] = [$"Must be from 1 to {MaxPageSize}."];
        if (from > to)
            errors["from"] = ["Must not be after 'to'."];
        CallOutcome? wanted = null;
        if (outcome is not null)
        {
            if (JsonConventions.TryParseName<CallOutcome>(outcome, out var parsed))
                wanted = parsed;
            else
                errors["outcome"] = [$"Must be one of: {string.Join(", ", Enum.GetValues<CallOutcome>().Select(JsonConventions.Name))}."];
        }
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();

        var calls = db.Set<Call>().Where(c => c.BusinessId == id);
        if (from is { } start)
            calls = calls.Where(c => c.ReceivedAt >= start);
        if (to is { } end)
            calls = calls.Where(c => c.ReceivedAt < end);
        if (wanted is { } o)
            calls = calls.Where(c => c.Outcome == o);
        var total = await calls.CountAsync(ct);
        var items = await WithSummaries(db, calls.OrderByDescending(c => c.ReceivedAt).ThenByDescending(c => c.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)).ToListAsync(ct);
        return TypedResults.Ok(new CallPage([.. items.Select(ToView)], page, pageSize, total));
    }

    static async Task<Results<Ok<CallView>, NotFound>> GetCall(
        Guid id, Guid callId, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var call = await WithSummaries(db, db.OwnedBy(owner).Where(b => b.Id == id)
            .Join(db.Set<Call>(), b => b.Id, c => c.BusinessId, (b, c) => c)
            .Where(c => c.Id == callId)).FirstOrDefaultAsync(ct);
        return call is null ? TypedResults.NotFound() : TypedResults.Ok(ToView(call));
    }

    /// <summary>Each call with its summary and the summarising operator's name, in the same query (no query per row).</summary>
    static IQueryable<CallWithSummary> WithSummaries(AppDbContext db, IQueryable<Call> calls) =>
        calls.LeftJoin(db.Set<CallSummary>(), c => c.Id, s => s.CallId, (c, s) => new CallWithSummary(
            c, s, s == null ? null : db.Set<AppUser>().Where(u => u.Id == s.OperatorId).Select(u => u.DisplayName).FirstOrDefault(),
            db.Set<Transfers.CallTransfer>().FirstOrDefault(t => t.CallId == c.Id)));

    sealed record CallWithSummary(Call Call, CallSummary? Summary, string? OperatorName, Transfers.CallTransfer? Transfer);

    static CallView ToView(CallWithSummary row)
    {
        var (c, s) = (row.Call, row.Summary);
        return new(
            c.Id, c.CallerNumber, c.Status, c.Outcome,
            c.ReceivedAt, c.AnsweredAt, c.EndedAt, c.WaitSeconds, c.Billable, c.RecordingUrl,
            s is null ? null : new SummaryView(s.Outcome, s.OutcomeLabel, s.Fields, s.Note, row.OperatorName, s.CreatedAt),
            row.Transfer is { } t ? new TransferView(t.Mode, t.State, t.HoldSeconds) : null);
    }
}
