using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.ApiKeys;
using Receptionist.Features.Businesses;
using Receptionist.Features.Scenarios;
using Receptionist.Features.Summaries;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Calls;

/// <param name="WaitedSeconds">How long the caller waited: until an operator answered, or until the call left the queue.</param>
/// <param name="BillingReason">Billed or why not, as a code (<see cref="CallBillingReason"/>).</param>
/// <param name="FieldLabels">The summary fields' labels, from the scenario the call was answered with.</param>
/// <param name="EarlierCalls">This caller's earlier calls to the business (only on a single call).</param>
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
    int? WaitedSeconds = null,
    string? BillingReason = null,
    string? OperatorFirstName = null,
    IReadOnlyDictionary<string, string>? FieldLabels = null,
    IReadOnlyList<PreviousCall>? EarlierCalls = null,
    TransferView? Transfer = null);

public sealed record PreviousCall(Guid Id, DateTimeOffset ReceivedAt, CallOutcome? Outcome, string? SummaryOutcomeLabel);

/// <param name="HoldSeconds">How long the caller held for the owner (warm); never billed.</param>
public sealed record TransferView(Transfers.TransferMode Mode, Transfers.TransferState State, int? HoldSeconds);

/// <param name="Page">The page number (1 when none was asked for); null when the page was asked for by a cursor.</param>
/// <param name="Total">The calls matching the filters, counted only when the request names a page number: counting
/// reads every matching call, so the newest calls and a cursor's walk do not pay for it.</param>
/// <param name="Next">Pass as <c>before</c> for the following page (older calls); null on the last page.</param>
public sealed record CallPage(IReadOnlyList<CallView> Items, int? Page, int PageSize, int? Total, string? Next);

public static class CallEndpoints
{
    const int MaxPageSize = 100;

    public static IServiceCollection AddCalls(this IServiceCollection services)
    {
        services.AddOptions<CallOptions>().BindConfiguration("Calls").ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<CallFlow>();
        services.AddSingleton<LineDirectory>();
        services.AddSingleton<CallReconciler>();
        services.AddHostedService<CallReconciliationService>();
        return services;
    }

    public static IEndpointRouteBuilder MapCalls(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/calls").WithTags("Calls").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", ListCalls).WithName(nameof(ListCalls)).AllowApiKeys()
            .WithSummary("The business's calls, newest first; filter by date range, outcome (or \"missed\": every outcome but answered) and caller; page by number, or by the cursor each answer gives as next (before=…), which stays as fast however deep");
        owner.MapGet("/{callId:guid}", GetCall).WithName(nameof(GetCall)).AllowApiKeys()
            .WithSummary("One call: wait, outcome and why, billed or why not, the operator, the summary, the caller's earlier calls");
        app.MapGroup("/api/businesses/{id:guid}/calls.csv").WithTags("Calls").RequireAuthorization(Policies.Owner)
            .MapGet("/", ExportCalls).WithName(nameof(ExportCalls))
            .WithSummary("The call log as CSV, with the same filters (at most 10,000 calls, newest first)");
        return app;
    }

    static async Task<Results<Ok<CallPage>, NotFound, ValidationProblem>> ListCalls(
        Guid id, AppDbContext db, CurrentUser owner, IOptions<CallOptions> calling, CancellationToken ct,
        int? page = null, int pageSize = 20, string? before = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, string? outcome = null, string? caller = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (page is < 1 or > 100_000) // beyond that (page - 1) * pageSize overflows
            errors["page"] = ["Must be from 1 to 100000."];
        if (pageSize is < 1 or > MaxPageSize)
            errors["pageSize"] = [$"Must be from 1 to {MaxPageSize}."];
        CallLogCursor? cursor = null;
        if (before is not null)
        {
            if (page is not null)
                errors["before"] = ["Give either 'page' or 'before', not both."];
            else if (CallLogCursor.TryParse(before, out var parsed))
                cursor = parsed;
            else
                errors["before"] = ["Not a cursor this call log gave as 'next'."];
        }
        var calls = Filter(db, id, from, to, outcome, caller, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();

        // Newest first, in the order of the (business, received, id) indexes; a cursor seeks to its place in them (a
        // row comparison the index answers), where an offset would step over every call before the page.
        var newestFirst = (cursor is { } c
                ? calls.Where(x => EF.Functions.LessThan(ValueTuple.Create(x.ReceivedAt, x.Id), ValueTuple.Create(c.ReceivedAt, c.Id)))
                : calls)
            .OrderByDescending(x => x.ReceivedAt).ThenByDescending(x => x.Id);
        var total = page is null ? (int?)null : await calls.CountAsync(ct);
        // One more than the page shows, to know whether there is a next page.
        var items = await WithSummaries(db, newestFirst.Skip(((page ?? 1) - 1) * pageSize).Take(pageSize + 1)).ToListAsync(ct);
        var next = items.Count > pageSize ? new CallLogCursor(items[pageSize - 1].Call.ReceivedAt, items[pageSize - 1].Call.Id).ToString() : null;
        return TypedResults.Ok(new CallPage([.. items.Take(pageSize).Select(i => ToView(i, calling.Value.OverflowSeconds))],
            cursor is null ? page ?? 1 : null, pageSize, total, next));
    }

    /// <summary>The <c>outcome</c> filter for every call missed, whatever the reason (the headline panel links to it).</summary>
    const string MissedOutcomes = "missed";

    /// <summary>The business's calls matching the log's filters; a bad filter is added to <paramref name="errors"/>.</summary>
    static IQueryable<Call> Filter(AppDbContext db, Guid businessId, DateTimeOffset? from, DateTimeOffset? to, string? outcome,
        string? caller, Dictionary<string, string[]> errors)
    {
        if (from > to)
            errors["from"] = ["Must not be after 'to'."];
        var calls = db.Set<Call>().Where(c => c.BusinessId == businessId);
        if (outcome == MissedOutcomes)
            // Every call that ended without an operator, as the owner's figures count "missed" (blocked callers are not).
            calls = calls.Where(c => c.Outcome != null && c.Outcome != CallOutcome.Answered && c.Outcome != CallOutcome.Blocked);
        else if (outcome is not null)
        {
            if (JsonConventions.TryParseName<CallOutcome>(outcome, out var wanted))
                calls = calls.Where(c => c.Outcome == wanted);
            else
                errors["outcome"] = [$"Must be one of: {MissedOutcomes}, {string.Join(", ", Enum.GetValues<CallOutcome>().Select(JsonConventions.Name))}."];
        }
        if (caller is not null)
        {
            // Any part of the number as the owner types it ("916 123", "+7916…"): its digits, in order.
            var digits = new string([.. caller.Where(char.IsAsciiDigit)]);
            if (digits.Length is 0 or > 15)
                errors["caller"] = ["Not a valid phone number."];
            else if (E164.TryParse(caller, out var number))
                // A whole number, as owners mostly type it, is found through the (business, caller) index however
                // long the log.
                calls = calls.Where(c => c.CallerNumber == number);
            else
                // Part of a number reads the business's own calls (never the table's: a trigram index over digits
                // was measured slower at 1M calls than this, its trigrams being shared by every number).
                calls = calls.Where(c => c.CallerNumber.Contains(digits));
        }
        if (from is { } start)
            calls = calls.Where(c => c.ReceivedAt >= start);
        if (to is { } end)
            calls = calls.Where(c => c.ReceivedAt < end);
        return calls;
    }

    static async Task<Results<Ok<CallView>, NotFound>> GetCall(
        Guid id, Guid callId, AppDbContext db, CurrentUser owner, ScenarioRenderer renderer, IOptions<CallOptions> calling, CancellationToken ct)
    {
        var row = await WithSummaries(db, db.OwnedBy(owner).Where(b => b.Id == id)
            .Join(db.Set<Call>(), b => b.Id, c => c.BusinessId, (b, c) => c)
            .Where(c => c.Id == callId)).FirstOrDefaultAsync(ct);
        if (row is null)
            return TypedResults.NotFound();
        var call = row.Call;
        var earlier = await db.Set<Call>()
            .Where(c => c.BusinessId == id && c.CallerNumber == call.CallerNumber && c.ReceivedAt < call.ReceivedAt)
            .OrderByDescending(c => c.ReceivedAt).Take(MaxEarlierCalls)
            .LeftJoin(db.Set<CallSummary>(), c => c.Id, s => s.CallId, (c, s) => new PreviousCall(c.Id, c.ReceivedAt, c.Outcome, s == null ? null : s.OutcomeLabel))
            .ToListAsync(ct);
        return TypedResults.Ok(ToView(row, calling.Value.OverflowSeconds) with { FieldLabels = await FieldLabelsAsync(db, renderer, call, ct), EarlierCalls = earlier });
    }

    const int MaxEarlierCalls = 20;

    /// <summary>The labels of the fields of the scenario version the call was answered with, in the business's language.</summary>
    static async Task<IReadOnlyDictionary<string, string>?> FieldLabelsAsync(AppDbContext db, ScenarioRenderer renderer, Call call, CancellationToken ct)
    {
        if (call.ScenarioVersionId is not { } versionId)
            return null;
        var version = await db.Set<ScenarioVersion>().Where(v => v.Id == versionId)
            .Join(db.Set<Business>(), v => v.BusinessId, b => b.Id, (v, b) => new { v.Id, v.Source, b.Language }).FirstOrDefaultAsync(ct);
        if (version is null)
            return null;
        var template = renderer.GetOrCompile(ScenarioVersion.CacheKey(version.Id), version.Source);
        return template.Succeeded ? (template.Value.Fields.For(version.Language) ?? []).ToDictionary(f => f.Name, f => f.Label) : null;
    }

    const int MaxExportRows = 10_000;

    /// <summary>The log as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Cyrillic), times in UTC (ISO 8601).</summary>
    static async Task<Results<FileContentHttpResult, NotFound, ValidationProblem>> ExportCalls(
        Guid id, AppDbContext db, CurrentUser owner, IOptions<CallOptions> calling, CancellationToken ct,
        DateTimeOffset? from = null, DateTimeOffset? to = null, string? outcome = null, string? caller = null)
    {
        var errors = new Dictionary<string, string[]>();
        var calls = Filter(db, id, from, to, outcome, caller, errors);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var rows = await WithSummaries(db, calls.OrderByDescending(c => c.ReceivedAt).ThenByDescending(c => c.Id).Take(MaxExportRows))
            .ToListAsync(ct);
        var csv = new System.Text.StringBuilder();
        csv.AppendLine("received_at,caller,outcome,waited_seconds,billing,operator,summary_outcome,note,recording_url");
        foreach (var view in rows.Select(r => ToView(r, calling.Value.OverflowSeconds)))
            csv.AppendLine(string.Join(',', new[]
            {
                view.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), view.CallerNumber,
                view.Outcome is { } o ? JsonConventions.Name(o) : "", view.WaitedSeconds?.ToString(CultureInfo.InvariantCulture) ?? "",
                view.BillingReason, view.OperatorFirstName, view.Summary?.OutcomeLabel, view.Summary?.Note, view.RecordingUrl,
            }.Select(Cell)));
        return TypedResults.File(System.Text.Encoding.UTF8.GetPreamble().Concat(System.Text.Encoding.UTF8.GetBytes(csv.ToString())).ToArray(),
            "text/csv; charset=utf-8", $"calls-{id:N}.csv");
    }

    /// <summary>RFC 4180 quoting; a leading =, +, - or @ is neutralised so a spreadsheet never runs a caller's text as a formula.</summary>
    static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        if (value[0] is '=' or '+' or '-' or '@' && !(value[0] == '+' && value.Skip(1).All(char.IsAsciiDigit)))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }

    /// <summary>
    /// Each call with its summary, its transfer and the summarising operator's name, in the same query (no query per
    /// row). Summaries and transfers are joined by their keys (a call has at most one of each): a FirstOrDefault there
    /// would number every transfer ever made on each request.
    /// </summary>
    static IQueryable<CallWithSummary> WithSummaries(AppDbContext db, IQueryable<Call> calls) =>
        calls.LeftJoin(db.Set<CallSummary>(), c => c.Id, s => s.CallId, (c, s) => new { Call = c, Summary = s })
            .LeftJoin(db.Set<Transfers.CallTransfer>(), x => x.Call.Id, t => t.CallId, (x, t) => new CallWithSummary(
                x.Call, x.Summary,
                db.Set<AppUser>().Where(u => u.Id == (x.Summary == null ? x.Call.OperatorId : x.Summary.OperatorId)).Select(u => u.DisplayName).FirstOrDefault(),
                t));

    /// <param name="OperatorName">The display name of the operator who summarised the call, or else who took it.</param>
    sealed record CallWithSummary(Call Call, CallSummary? Summary, string? OperatorName, Transfers.CallTransfer? Transfer);

    static int Seconds(TimeSpan span) => (int)Math.Round(span.TotalSeconds);

    static CallView ToView(CallWithSummary row, int overflowSeconds)
    {
        var (c, s) = (row.Call, row.Summary);
        // The wait ends when an operator answers, the caller hangs up, or the call leaves the queue for the fallback
        // (whose own time, a voicemail say, is not waiting).
        int? waited = c.Outcome switch
        {
            CallOutcome.NotLive => 0,
            CallOutcome.Overflowed => c.EndedAt is { } end ? Math.Min(overflowSeconds, Seconds(end - c.ReceivedAt)) : overflowSeconds,
            _ => (c.AnsweredAt ?? c.EndedAt) is { } left ? Seconds(left - c.ReceivedAt) : null,
        };
        return new(
            c.Id, c.CallerNumber, c.Status, c.Outcome,
            c.ReceivedAt, c.AnsweredAt, c.EndedAt, c.WaitSeconds, c.Billable, c.RecordingUrl,
            s is null ? null : new SummaryView(s.Outcome, s.OutcomeLabel, s.Fields, s.Note, row.OperatorName, s.CreatedAt),
            WaitedSeconds: waited,
            BillingReason: CallBillingReason.Of(c),
            OperatorFirstName: c.OperatorId is null ? null : AppUser.FirstNameOf(row.OperatorName),
            Transfer: row.Transfer is { } t ? new TransferView(t.Mode, t.State, t.HoldSeconds) : null);
    }
}
