using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Blocking;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;
using Receptionist.Features.Queue;
using Receptionist.Features.Scenarios;
using Receptionist.Features.Webhooks;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Summaries;

/// <summary>Checked in full by <see cref="SummaryValidator"/>, so that one answer names every field that is wrong.</summary>
public sealed record SummaryRequest(
    [property: MaxLength(64)] string? Outcome,
    Dictionary<string, string?>? Fields,
    [property: MaxLength(SummaryLimits.NoteLength)] string? Note);

/// <summary>The summary as written, and where the operator stands now (available, or still busy on the call).</summary>
public sealed record SubmittedSummary(Guid CallId, string Outcome, string OutcomeLabel, IReadOnlyDictionary<string, string> Fields, PresenceState Presence);

public abstract record SubmitResult
{
    public sealed record Submitted(SubmittedSummary Summary) : SubmitResult;
    /// <summary>No such call, or it is another operator's.</summary>
    public sealed record NotFound : SubmitResult;
    public sealed record Invalid(Dictionary<string, string[]> Errors) : SubmitResult;
    public sealed record Conflict(string Title, string Detail) : SubmitResult;
}

/// <summary>
/// Wrap-up: records the operator's summary of a call, queues the summary email to the business and frees the
/// operator, all in one transaction, so the owner hears of every summary that exists and of no other.
/// </summary>
public sealed class SummaryWriter(AppDbContext db, ScenarioRenderer renderer, EmailTemplates templates, SpamBilling spam,
    BlockLinks blockLinks, OwnerEvents events, TimeProvider clock)
{
    public async Task<SubmitResult> SubmitAsync(Guid callId, Guid operatorId, SummaryRequest request, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The row lock makes a second submit of the same call wait for the first, then find its summary.
        var call = await db.Set<Call>()
            .FromSql($"SELECT * FROM calls WHERE id = {callId} AND operator_id = {operatorId} FOR UPDATE")
            .FirstOrDefaultAsync(ct);
        if (call is null)
            return new SubmitResult.NotFound();
        if (call.AnsweredAt is null)
            return new SubmitResult.Conflict("Not answered", "The caller has not been connected to you; there is no conversation to summarise.");
        if (await db.Set<CallSummary>().AnyAsync(s => s.CallId == callId, ct))
            return new SubmitResult.Conflict("Already summarised", "This call's summary has already been submitted.");

        var business = await db.Set<Business>().FirstAsync(b => b.Id == call.BusinessId, ct);
        var version = call.ScenarioVersionId is { } versionId
            ? await db.Set<ScenarioVersion>().FirstOrDefaultAsync(v => v.Id == versionId, ct)
            : null;
        if (version is null)
            return new SubmitResult.Conflict("No scenario", "This call was answered without a scenario, so it has no fields or outcomes.");
        // Fields and outcomes are fixed lines of the version the call was answered with, not rendered text.
        var template = renderer.GetOrCompile(ScenarioVersion.CacheKey(version.Id), version.Source);
        if (!template.Succeeded)
            return new SubmitResult.Conflict("Scenario unusable", template.Error.ToString());
        var (valid, errors) = SummaryValidator.Validate(request,
            template.Value.Fields.For(business.Language) ?? [], template.Value.Outcomes.For(business.Language) ?? []);
        if (valid is null)
            return new SubmitResult.Invalid(errors);

        var now = clock.GetUtcNow();
        db.Add(new CallSummary
        {
            CallId = call.Id, BusinessId = call.BusinessId, OperatorId = operatorId,
            Outcome = valid.Outcome.Key, OutcomeLabel = valid.Outcome.Label, Fields = valid.Fields, Note = valid.Note, CreatedAt = now,
        });
        if (valid.Outcome.Key == SpamBilling.SpamOutcome)
            await spam.MarkAsync(db, call, business, ct);
        await events.PublishAsync(db, OwnerEventTypes.SummaryCreated, business.Id, new EventData(events.Describe(call),
            new EventSummary(valid.Outcome.Key, valid.Outcome.Label, valid.Fields, valid.Note)), ct);
        if (business.SummaryEmails.Count > 0)
        {
            var operatorName = await db.Set<AppUser>().Where(u => u.Id == operatorId).Select(u => u.DisplayName).FirstOrDefaultAsync(ct);
            var fieldLabels = (template.Value.Fields.For(business.Language) ?? []).ToDictionary(f => f.Name, f => f.Label);
            var transfer = await db.Set<Transfers.CallTransfer>().AsNoTracking().FirstOrDefaultAsync(t => t.CallId == call.Id, ct);
            var email = templates.Render("summary", new
            {
                // Whether the caller was put through to the owner, and how long they held for them (never billed).
                Transfer = transfer is null ? null : Infrastructure.JsonConventions.Name(transfer.State),
                TransferHoldSeconds = transfer?.HoldSeconds,
                BusinessName = business.Name,
                call.CallerNumber,
                CalledAt = business.LocalTime(call.ReceivedAt),
                OutcomeLabel = valid.Outcome.Label,
                Fields = valid.Fields.Select(f => new EmailField(fieldLabels[f.Key], f.Value)).ToList(),
                valid.Note,
                OperatorName = AppUser.FirstNameOf(operatorName) ?? "",
                English = business.Language.StartsWith("en", StringComparison.Ordinal),
                BlockUrl = E164.TryParse(call.CallerNumber, out var caller) && caller == call.CallerNumber
                    ? blockLinks.UrlFor(business.Id, caller).AbsoluteUri : null,
            });
            db.Add(OutboxMessage.Email(EmailMessage.Create(business.SummaryEmails, email), now));
        }
        await db.SaveChangesAsync(ct);
        // Written after the hang-up, the summary ends wrap-up. Written during the call, the operator stays busy:
        // CallFlow frees them when the call ends, since its summary is already in.
        await db.Set<OperatorPresence>().Where(p => p.OperatorId == operatorId && p.State == PresenceState.WrapUp)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.State, PresenceState.Available).SetProperty(p => p.UpdatedAt, now), ct);
        var presence = await db.Set<OperatorPresence>().Where(p => p.OperatorId == operatorId)
            .Select(p => (PresenceState?)p.State).FirstOrDefaultAsync(ct) ?? PresenceState.Offline;
        await transaction.CommitAsync(ct);
        return new SubmitResult.Submitted(new SubmittedSummary(call.Id, valid.Outcome.Key, valid.Outcome.Label, valid.Fields,
            presence));
    }

    sealed record EmailField(string Label, string Value);
}
