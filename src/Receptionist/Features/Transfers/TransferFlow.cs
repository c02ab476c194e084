using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Lines;
using Receptionist.Features.Queue;
using Receptionist.Features.Summaries;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Transfers;

/// <summary>Why a transfer could not start; null when it started.</summary>
public enum TransferRefusal { NotYourCall, NotOnCall, AlreadyTransferring, NoTransferNumber, OutsideHours, ColdNotAllowed, ProviderFailed }

/// <summary>
/// Transfers to the owner. Warm: the caller holds in a Twilio conference (their leg does not end it), the owner's phone
/// rings and, answered, hears who is calling and why; a keypress is the proof a person answered (voicemail also
/// "answers"): 1 puts the owner in the conference with the caller and frees the operator; anything else, no answer or
/// no keypress brings the caller back to the operator's console to take a message. Cold: the caller is dialled
/// through to the owner's number and the operator is free at once. Each step is one guarded statement on the
/// transfer's row, so a repeated or late report finds nothing to change.
/// </summary>
public sealed class TransferFlow(
    AppDbContext db, TimeProvider clock, ITelephonyProvider telephony, IOptions<AppOptions> appOptions, ILogger<TransferFlow> logger)
{
    const int OwnerRingSeconds = 25;
    public const int WhisperKeySeconds = 8;
    AppOptions App => appOptions.Value;

    public static string Conference(Guid callId) => $"transfer-{callId:N}";

    /// <summary>Starts a transfer of the operator's answered call; null when it started.</summary>
    public async Task<TransferRefusal?> StartAsync(Guid callId, Guid operatorId, TransferMode mode, string? reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var found = await db.Set<Call>().Where(c => c.Id == callId && c.OperatorId == operatorId)
            .Join(db.Set<Business>(), c => c.BusinessId, b => b.Id, (c, b) => new
            {
                Call = c, Business = b,
                Settings = db.Set<TransferSettings>().FirstOrDefault(s => s.BusinessId == b.Id),
                Line = db.Set<ReceptionistLine>().Where(l => l.BusinessId == b.Id && l.RetiredAt == null).Select(l => l.Number).FirstOrDefault(),
            }).AsNoTracking().FirstOrDefaultAsync(ct);
        if (found is null)
            return TransferRefusal.NotYourCall;
        if (found.Call.Status != CallStatus.Answered)
            return TransferRefusal.NotOnCall;
        if (found.Settings is null || found.Line is null)
            return TransferRefusal.NoTransferNumber;
        if (!found.Settings.AllowsAt(found.Business, now))
            return TransferRefusal.OutsideHours;
        if (mode == TransferMode.Cold && !found.Settings.AllowCold)
            return TransferRefusal.ColdNotAllowed;

        // One transfer at a time per call: the row's state guards it, in one statement. A transfer that replaces an
        // ended warm one keeps that one's hold, which is the caller's hold time in the call's handle time.
        var state = mode == TransferMode.Warm ? TransferState.Ringing : TransferState.Sent;
        var started = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO call_transfers (call_id, mode, state, operator_id, started_at, reason)
            VALUES ({callId}, {mode.ToString()}, {state.ToString()}, {operatorId}, {now}, {reason})
            ON CONFLICT (call_id) DO UPDATE SET mode = excluded.mode, state = excluded.state, operator_id = excluded.operator_id,
                started_at = excluded.started_at, reason = excluded.reason, owner_call_id = NULL, ended_at = NULL,
                earlier_hold_seconds = call_transfers.earlier_hold_seconds + CASE WHEN call_transfers.mode = 'Warm'
                    THEN GREATEST(0, EXTRACT(EPOCH FROM call_transfers.ended_at - call_transfers.started_at))::float8 ELSE 0 END
            WHERE call_transfers.state NOT IN ('Ringing', 'Connected', 'Sent')
            """, ct);
        if (started == 0)
            return TransferRefusal.AlreadyTransferring;

        try
        {
            if (mode == TransferMode.Cold)
            {
                await telephony.RedirectCallAsync(found.Call.ProviderCallId, CallInstructions.Fetch(App.Url(TransferWebhooks.ColdPath(callId))), ct);
                await ReleaseOperatorAsync(callId, operatorId, ct);
                return null;
            }
            await telephony.RedirectCallAsync(found.Call.ProviderCallId, CallInstructions.Fetch(App.Url(TransferWebhooks.HoldPath(callId))), ct);
            var ownerLeg = await telephony.PlaceCallAsync(new OutgoingCall(found.Line, found.Settings.TransferNumber,
                CallInstructions.Fetch(App.Url(TransferWebhooks.WhisperPath(callId))), OwnerRingSeconds), ct);
            await db.Set<CallTransfer>().Where(t => t.CallId == callId && t.State == TransferState.Ringing)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.OwnerCallId, ownerLeg), ct);
            return null;
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e) || e is InvalidOperationException)
        {
            logger.LogWarning(e, "Could not transfer call {CallId}", callId);
            if (await EndRingingAsync(callId, TransferState.NoAnswer, ct))
                await BackToOperatorAsync(found.Call.ProviderCallId, callId, ct);
            return TransferRefusal.ProviderFailed;
        }
    }

    /// <summary>What the owner hears on answering, in the business's language; null when no transfer rings for them.</summary>
    public async Task<(string Text, string Language)?> WhisperAsync(Guid callId, CancellationToken ct)
    {
        var found = await db.Set<CallTransfer>().Where(t => t.CallId == callId && t.State == TransferState.Ringing)
            .Join(db.Set<Call>(), t => t.CallId, c => c.Id, (t, c) => new { t.Reason, c.CallerNumber, c.BusinessId })
            .Join(db.Set<Business>(), x => x.BusinessId, b => b.Id, (x, b) => new { x.Reason, x.CallerNumber, b.Name, b.Language })
            .FirstOrDefaultAsync(ct);
        if (found is null)
            return null;
        var english = found.Language.StartsWith("en", StringComparison.Ordinal);
        var about = found.Reason is { Length: > 0 } reason ? reason : english ? "not stated" : "не указано";
        var text = english
            ? $"A call for {found.Name} from {found.CallerNumber}, about: {about}. Press 1 to be connected."
            : $"Звонок для «{found.Name}» от {found.CallerNumber}, по поводу: {about}. Нажмите 1, чтобы соединиться.";
        return (text, found.Language);
    }

    /// <summary>The owner pressed a key: 1 connects them with the caller and frees the operator; anything else declines.
    /// True when connected.</summary>
    public async Task<bool> OwnerPressedAsync(Guid callId, string? digits, CancellationToken ct)
    {
        if (digits == "1")
        {
            if (!await EndRingingAsync(callId, TransferState.Connected, ct))
                return false;
            var operatorId = await db.Set<CallTransfer>().Where(t => t.CallId == callId).Select(t => t.OperatorId).FirstAsync(ct);
            await ReleaseOperatorAsync(callId, operatorId, ct);
            return true;
        }
        if (await EndRingingAsync(callId, TransferState.Declined, ct))
            await BackToOperatorAsync(await CallerLegAsync(callId, ct), callId, ct);
        return false;
    }

    /// <summary>
    /// A leg ended (the shared status callback): the owner's leg while still ringing (no answer, busy, or voicemail that
    /// heard the whisper and pressed nothing) brings the caller back to the operator; the caller's own leg while holding
    /// ends the owner's ringing.
    /// </summary>
    public async Task LegEndedAsync(string providerCallId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var unanswered = await db.Database.SqlQuery<Guid>($"""
            UPDATE call_transfers SET state = 'NoAnswer', ended_at = {now}
            WHERE owner_call_id = {providerCallId} AND state = 'Ringing'
            RETURNING call_id AS "Value"
            """).ToListAsync(ct);
        if (unanswered is [var callId])
        {
            await BackToOperatorAsync(await CallerLegAsync(callId, ct), callId, ct);
            return;
        }
        var ownerLegs = await db.Database.SqlQuery<string>($"""
            UPDATE call_transfers t SET state = 'CallerLeft', ended_at = {now}
            FROM calls c WHERE c.id = t.call_id AND c.provider_call_id = {providerCallId} AND t.state = 'Ringing'
            RETURNING t.owner_call_id AS "Value"
            """).ToListAsync(ct);
        foreach (var ownerLeg in ownerLegs.Where(l => l is not null))
            try
            {
                await telephony.HangUpAsync(ownerLeg, ct);
            }
            catch (Exception e) when (TelephonyException.IsProviderFailure(e))
            {
                // The owner hears the whisper of a caller who left; pressing 1 then finds nothing to join.
                logger.LogWarning(e, "Could not hang up the owner's leg {OwnerLeg}", ownerLeg);
            }
    }

    /// <summary>The operator who had the caller, for dialling them back; null when the call is not theirs any more.</summary>
    public Task<Guid?> OperatorToReturnToAsync(Guid callId, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId && c.Status == CallStatus.Answered).Select(c => c.OperatorId).FirstOrDefaultAsync(ct);

    /// <summary>A cold transfer's dial ended: answered by the owner, or not (the caller then leaves a message).</summary>
    public Task ColdDialEndedAsync(Guid callId, bool answered, CancellationToken ct)
    {
        var state = answered ? TransferState.Connected : TransferState.NoAnswer;
        var now = clock.GetUtcNow();
        return db.Set<CallTransfer>().Where(t => t.CallId == callId && t.State == TransferState.Sent)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, state).SetProperty(t => t.EndedAt, now), ct);
    }

    public Task<FallbackPlan?> VoicemailPlanAsync(Guid callId, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId).Join(db.Set<Business>(), c => c.BusinessId, b => b.Id,
            (c, b) => new FallbackPlan(b.Name, b.Language, FallbackMode.Voicemail, null)).FirstOrDefaultAsync(ct);

    public Task<string?> TransferNumberAsync(Guid callId, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId)
            .Join(db.Set<TransferSettings>(), c => c.BusinessId, s => s.BusinessId, (c, s) => s.TransferNumber).FirstOrDefaultAsync(ct);

    /// <summary>The ringing transfer ends in <paramref name="outcome"/>; false when it was not ringing (a repeat).</summary>
    async Task<bool> EndRingingAsync(Guid callId, TransferState outcome, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await db.Set<CallTransfer>().Where(t => t.CallId == callId && t.State == TransferState.Ringing)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, outcome).SetProperty(t => t.EndedAt, now), ct) > 0;
    }

    Task<string> CallerLegAsync(Guid callId, CancellationToken ct) =>
        db.Set<Call>().Where(c => c.Id == callId).Select(c => c.ProviderCallId).FirstAsync(ct);

    /// <summary>The operator no longer has the caller: wrap-up (or available, when the summary is already written),
    /// unless they moved on already.</summary>
    async Task ReleaseOperatorAsync(Guid callId, Guid operatorId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var summarized = await db.Set<CallSummary>().AnyAsync(s => s.CallId == callId, ct);
        var next = summarized ? PresenceState.Available : PresenceState.WrapUp;
        await db.Set<OperatorPresence>().Where(p => p.OperatorId == operatorId && p.State == PresenceState.Busy)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.State, next).SetProperty(p => p.UpdatedAt, now), ct);
    }

    async Task BackToOperatorAsync(string callerLeg, Guid callId, CancellationToken ct)
    {
        try
        {
            await telephony.RedirectCallAsync(callerLeg, CallInstructions.Fetch(App.Url(TransferWebhooks.BackPath(callId))), ct);
        }
        catch (Exception e) when (TelephonyException.IsProviderFailure(e))
        {
            // The caller's status callback or reconciliation settles the call; the transfer's outcome is recorded.
            logger.LogWarning(e, "Could not bring call {CallId} back to its operator", callId);
        }
    }
}
