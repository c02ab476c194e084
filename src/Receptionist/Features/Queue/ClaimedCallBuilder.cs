using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Scenarios;
using Receptionist.Infrastructure;
using Receptionist.Features.Summaries;

namespace Receptionist.Features.Queue;

/// <summary>Everything the operator needs the moment a call is theirs.</summary>
public sealed record ClaimedCall(
    Guid CallId,
    Guid BusinessId,
    string BusinessName,
    string CallerNumber,
    DateTimeOffset ReceivedAt,
    RenderedScenario? Scenario,
    string? ScenarioError,
    IReadOnlyList<EarlierCallView> EarlierCalls);

/// <param name="Outcome">Null while that call is still in progress.</param>
public sealed record EarlierCallView(Guid CallId, DateTimeOffset At, CallOutcome? Outcome, string? Summary);

/// <summary>Renders the business's scenario for this caller and gathers their history with this business.</summary>
public sealed class ClaimedCallBuilder(AppDbContext db, ScenarioRenderer renderer, TimeProvider clock)
{
    const int EarlierCallsShown = 5;

    public async Task<ClaimedCall> BuildAsync(ClaimedCallRow call, Guid operatorId, CancellationToken ct)
    {
        // The business, its scenario and the operator's name in one round trip: this runs on every claim.
        var found = await db.Set<Business>().AsNoTracking().Where(b => b.Id == call.BusinessId)
            .Select(b => new
            {
                Business = b,
                Version = db.Set<ScenarioVersion>().FirstOrDefault(v => v.Id == b.ScenarioVersionId),
                OperatorName = db.Set<AppUser>().Where(u => u.Id == operatorId).Select(u => u.DisplayName).FirstOrDefault(),
            })
            .FirstAsync(ct);
        var (business, version, operatorName) = (found.Business, found.Version, found.OperatorName);
        var earlier = await EarlierCallsAsync(call, ct);

        RenderedScenario? scenario = null;
        string? error = null;
        if (version is not null)
        {
            var variables = BusinessScenarioVariables.For(business, clock.GetUtcNow(), call.CallerNumber,
                offset => [.. earlier.Select(e => new EarlierCall(e.At.ToOffset(offset),
                    e.Outcome is { } outcome ? JsonConventions.Name(outcome) : "inProgress", e.Summary))],
                AppUser.FirstNameOf(operatorName));
            var rendered = renderer.Render(ScenarioVersion.CacheKey(version.Id), version.Source, variables, ct);
            if (rendered.Succeeded)
                scenario = rendered.Value;
            else
                error = rendered.Error.ToString();
        }
        return new ClaimedCall(call.Id, business.Id, business.Name, call.CallerNumber, call.ReceivedAt, scenario, error, earlier);
    }

    /// <summary>
    /// The caller's earlier calls with this business only, newest first (an index covers this lookup), each with a
    /// line from its summary when one was written.
    /// </summary>
    async Task<List<EarlierCallView>> EarlierCallsAsync(ClaimedCallRow call, CancellationToken ct)
    {
        var rows = await db.Set<Call>()
            .Where(c => c.BusinessId == call.BusinessId && c.CallerNumber == call.CallerNumber && c.Id != call.Id)
            .LeftJoin(db.Set<CallSummary>(), c => c.Id, s => s.CallId, (c, s) => new
            {
                c.Id, c.ReceivedAt, c.Outcome,
                Summary = s == null ? null : new { s.OutcomeLabel, s.Note, s.Fields },
            })
            .OrderByDescending(r => r.ReceivedAt).Take(EarlierCallsShown)
            .ToListAsync(ct);
        return [.. rows.Select(r => new EarlierCallView(r.Id, r.ReceivedAt, r.Outcome,
            r.Summary is null ? null : CallSummary.ShortText(r.Summary.OutcomeLabel, r.Summary.Note, r.Summary.Fields)))];
    }
}
