using Microsoft.EntityFrameworkCore;
using Npgsql;
using Receptionist.Data;

namespace Receptionist.Features.Queue;

/// <summary>A call just given to an operator.</summary>
public sealed record ClaimedCallRow(Guid Id, Guid BusinessId, string ProviderCallId, string CallerNumber, DateTimeOffset ReceivedAt);

/// <summary>A call just offered to an operator by routing.</summary>
public sealed record OfferedCallRow(Guid Id, string ProviderCallId, Guid OperatorId);

/// <summary>How an offer ended without an answer.</summary>
public enum OfferEnd
{
    /// <summary>It rang out: a miss, counted towards being set away.</summary>
    Missed,
    /// <summary>The operator said no: not a miss, but a short cooldown before the next offer.</summary>
    Declined,
}

/// <summary>The shared queue of every business's waiting calls, kept in PostgreSQL.</summary>
public sealed class CallQueue(
    AppDbContext db, TimeProvider clock, Microsoft.Extensions.Options.IOptions<Calls.CallOptions> options,
    Microsoft.Extensions.Options.IOptions<RoutingOptions> routingOptions)
{
    readonly RoutingOptions routing = routingOptions.Value;

    /// <summary>
    /// Gives an available operator the longest-waiting call, in one statement: the row lock with SKIP LOCKED means
    /// concurrent claims each get a different call, none is skipped, and an overflow of the same call cannot also win.
    /// The operator becomes busy in the same statement. Only a caller heard from recently is taken: one whose reports
    /// stopped may be gone, and waits for reconciliation instead of blocking the queue. Null when the operator is not
    /// available or nobody waits.
    /// </summary>
    public async Task<ClaimedCallRow?> ClaimNextAsync(Guid operatorId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var heardSince = now.AddSeconds(-options.Value.CallerSilenceSeconds);
        var claimed = await db.Database.SqlQuery<ClaimedCallRow>($"""
            WITH me AS (
                SELECT operator_id FROM operator_presence
                WHERE operator_id = {operatorId} AND state = 'Available' FOR UPDATE
            ),
            next AS (
                SELECT c.id FROM calls c
                WHERE c.status = 'Waiting' AND c.last_seen_at >= {heardSince} AND EXISTS (SELECT 1 FROM me)
                ORDER BY c.received_at, c.id
                LIMIT 1 FOR UPDATE SKIP LOCKED
            ),
            claimed AS (
                UPDATE calls SET status = 'Claimed', operator_id = {operatorId}, claimed_at = {now},
                       scenario_version_id = (SELECT b.scenario_version_id FROM businesses b WHERE b.id = calls.business_id)
                FROM next WHERE calls.id = next.id
                RETURNING calls.id, calls.business_id, calls.provider_call_id, calls.caller_number, calls.received_at
            ),
            busy AS (
                UPDATE operator_presence SET state = 'Busy', updated_at = {now}
                WHERE operator_id = {operatorId} AND EXISTS (SELECT 1 FROM claimed)
            )
            SELECT id, business_id, provider_call_id, caller_number, received_at FROM claimed
            """).ToListAsync(ct);
        return claimed.SingleOrDefault();
    }

    /// <summary>
    /// Puts a claimed call back at the head of the queue (its wait keeps counting: the overflow time still applies)
    /// and sets the operator it was claimed by to <paramref name="operatorBecomes"/>. One statement, so a claim
    /// that was already answered or ended is left alone. With <paramref name="claimedBefore"/>, only a claim
    /// older than that is returned. False when no such claim was returned.
    /// </summary>
    public async Task<bool> ReturnAsync(Guid callId, PresenceState operatorBecomes, CancellationToken ct,
        DateTimeOffset? claimedBefore = null)
    {
        var cutoff = claimedBefore ?? DateTimeOffset.MaxValue;
        var returned = await db.Database.SqlQuery<Guid>($"""
            WITH returned AS (
                UPDATE calls SET status = 'Waiting', operator_id = NULL, claimed_at = NULL
                FROM (SELECT id, operator_id FROM calls WHERE id = {callId} AND status = 'Claimed' AND claimed_at <= {cutoff} FOR UPDATE) AS claimed
                WHERE calls.id = claimed.id
                RETURNING claimed.operator_id
            )
            INSERT INTO operator_presence (operator_id, state, updated_at)
            SELECT operator_id, {operatorBecomes.ToString()}, {clock.GetUtcNow()} FROM returned
            ON CONFLICT (operator_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
            RETURNING operator_id AS "Value"
            """).ToListAsync(ct);
        return returned.Count > 0;
    }

    /// <summary>
    /// The routing rules, all here, shared by every statement that offers a call (this class's <see cref="OfferAsync"/>
    /// and the incoming call's own statement in Calls/CallFlow): an operator who is available and past any decline
    /// cooldown; first those trained for the business, then those who speak its language, each longest idle first;
    /// anyone available once the call has waited Routing:WidenAfterSeconds. Oldest call first: an operator who could take
    /// a call that has waited longer is kept for that one (a new call never jumps the queue; the router offers the
    /// waiting calls in their order). The chosen operator's presence row is locked with SKIP LOCKED, so an operator being
    /// offered a call elsewhere is passed over and never gets two offers. Reads a row <c>call</c> (id, business_id,
    /// language, received_at) and the parameters of <see cref="RoutingParameters"/>.
    /// Whether an operator is kept for an older call depends only on the languages they speak, so it is asked once per
    /// set of languages among the free operators (one or two), not once per free operator (up to a hundred probes of
    /// the queue per offer, each of which could read every older call: under a backlog of a thousand calls the router's
    /// offer took 5.1 ms on average, 3.4 ms asked this way).
    /// </summary>
    internal const string ChooseOperatorSql = """
        WITH not_kept AS MATERIALIZED (
            -- In the select list, the question stays a subplan asked with this call's place in the queue as its
            -- parameters (an index range from the head of the queue), never a join that reads the whole queue.
            SELECT languages FROM (
                SELECT l.languages, EXISTS (
                    SELECT 1 FROM calls w JOIN businesses wb ON wb.id = w.business_id
                    WHERE w.status = 'Waiting' AND w.last_seen_at >= @heard_since
                      AND (w.received_at, w.id) < (call.received_at, call.id)
                      AND (wb.language = ANY (l.languages) OR w.received_at <= @widened_before)) AS kept
                FROM call, (SELECT DISTINCT languages FROM operator_presence
                            WHERE state = 'Available' AND (offerable_at IS NULL OR offerable_at <= @now)) AS l
            ) AS asked
            WHERE NOT kept
        )
        -- The operator's own conditions stay on their row: the lock re-reads a row changed meanwhile against them.
        SELECT p.operator_id FROM operator_presence p, call
        WHERE p.state = 'Available' AND (p.offerable_at IS NULL OR p.offerable_at <= @now)
          AND (call.language = ANY (p.languages) OR call.received_at <= @widened_before)
          AND p.languages IN (SELECT languages FROM not_kept)
        ORDER BY (call.business_id = ANY (p.trained_business_ids) AND call.language = ANY (p.languages)) DESC,
                 (call.language = ANY (p.languages)) DESC, p.updated_at, p.operator_id
        LIMIT 1
        FOR UPDATE OF p SKIP LOCKED
        """;

    /// <summary>The parameters <see cref="ChooseOperatorSql"/> reads, at <paramref name="now"/>.</summary>
    internal NpgsqlParameter[] RoutingParameters(DateTimeOffset now) =>
    [
        new("now", now), new("widened_before", now.AddSeconds(-routing.WidenAfterSeconds)),
        // Only a caller heard from recently is offered: one whose reports stopped may be gone (reconciliation decides).
        new("heard_since", now.AddSeconds(-options.Value.CallerSilenceSeconds)),
    ];

    /// <summary>
    /// Offers one waiting call to the best available operator (<see cref="ChooseOperatorSql"/>), in one statement on
    /// the same row locks as a claim: the call's row (SKIP LOCKED: a call another transaction is moving is left to it)
    /// and the chosen operator's presence row, so a call is never offered to two operators and an operator never gets
    /// two offers. Null when the call is not waiting or nobody fits.
    /// </summary>
    public async Task<OfferedCallRow?> OfferAsync(Guid callId, bool dialsNow, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var offered = await db.Database.SqlQueryRaw<OfferedCallRow>(OfferSql,
            [.. RoutingParameters(now), new NpgsqlParameter("call_id", callId), new NpgsqlParameter("dials_now", dialsNow)])
            .ToListAsync(ct);
        return offered.SingleOrDefault();
    }

    static readonly string OfferSql = $"""
            WITH call AS (
                SELECT c.id, c.business_id, c.received_at, b.language, b.scenario_version_id
                FROM calls c JOIN businesses b ON b.id = c.business_id
                WHERE c.id = @call_id AND c.status = 'Waiting' AND c.last_seen_at >= @heard_since
                FOR UPDATE OF c SKIP LOCKED
            ),
            chosen AS ({ChooseOperatorSql}),
            offered AS (
                UPDATE calls SET status = 'Claimed', operator_id = chosen.operator_id, claimed_at = @now,
                       bridged_at = CASE WHEN @dials_now THEN @now END,
                       scenario_version_id = call.scenario_version_id
                FROM call, chosen WHERE calls.id = call.id
                RETURNING calls.id, calls.provider_call_id, calls.operator_id
            ),
            ringing AS (
                UPDATE operator_presence SET state = 'Offered', updated_at = @now, offerable_at = NULL
                FROM offered WHERE operator_presence.operator_id = offered.operator_id
            )
            SELECT id, provider_call_id, operator_id FROM offered
            """;

    /// <summary>
    /// Takes the ring of an offer nobody has rung yet (the bridge begins now). Two may ring a call the router offered:
    /// the router, by redirecting the caller, and the caller's own request answered meanwhile, by dialling the
    /// operator. Whichever takes the ring first rings; the other leaves it, so the operator's console rings once. The
    /// operator the call is offered to (<paramref name="operatorId"/> when given); null when it is not offered or was rung.
    /// </summary>
    public async Task<Guid?> TakeRingAsync(Guid callId, Guid? operatorId, CancellationToken ct)
    {
        var taken = await db.Database.SqlQuery<Guid>($"""
            UPDATE calls SET bridged_at = {clock.GetUtcNow()}
            WHERE id = {callId} AND status = 'Claimed' AND bridged_at IS NULL
              AND ({operatorId}::uuid IS NULL OR operator_id = {operatorId})
            RETURNING operator_id AS "Value"
            """).ToListAsync(ct);
        return taken is [var ringing] ? ringing : null;
    }

    /// <summary>
    /// An offer that was not answered puts its call back where it was in the queue (its wait keeps counting) and frees
    /// the operator: a miss counts, and the misses in a row reaching Routing:MissedOffersBeforeAway set them away with
    /// that reason; a decline sets a cooldown instead. One statement, guarded by the offer still being this
    /// operator's and unanswered, so a late or repeated report finds nothing to change. False when nothing changed.
    /// </summary>
    /// <param name="callerHeard">The report comes from the caller's own leg (the dial result): the caller is there.</param>
    public async Task<bool> ReturnOfferAsync(Guid callId, Guid? operatorId, OfferEnd end, bool callerHeard, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var declined = end == OfferEnd.Declined;
        var cooldownUntil = now.AddSeconds(declined ? routing.DeclineCooldownSeconds : routing.MissedOfferDelaySeconds);
        var returned = await db.Database.SqlQuery<Guid>($"""
            WITH offer AS (
                SELECT id, operator_id FROM calls
                WHERE id = {callId} AND status = 'Claimed' AND ({operatorId}::uuid IS NULL OR operator_id = {operatorId})
                FOR UPDATE
            ),
            returned AS (
                UPDATE calls SET status = 'Waiting', operator_id = NULL, claimed_at = NULL, bridged_at = NULL,
                       last_seen_at = CASE WHEN {callerHeard} THEN {now} ELSE last_seen_at END
                FROM offer WHERE calls.id = offer.id
                RETURNING offer.operator_id
            )
            UPDATE operator_presence p SET
                missed_offers = CASE WHEN {declined} THEN p.missed_offers ELSE p.missed_offers + 1 END,
                state = CASE WHEN NOT {declined} AND p.missed_offers + 1 >= {routing.MissedOffersBeforeAway} THEN 'Away' ELSE 'Available' END,
                away_reason = CASE WHEN NOT {declined} AND p.missed_offers + 1 >= {routing.MissedOffersBeforeAway} THEN 'MissedOffers' END,
                offerable_at = {cooldownUntil}, updated_at = {now}
            FROM returned WHERE p.operator_id = returned.operator_id
            RETURNING p.operator_id AS "Value"
            """).ToListAsync(ct);
        return returned.Count > 0;
    }

    /// <summary>Offers still ringing past their time and the provider's grace to report it (the report was lost).</summary>
    public Task<List<OfferedCallRow>> OffersRunOutAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().AddSeconds(-(routing.OfferSeconds + routing.OfferReportGraceSeconds));
        return db.Database.SqlQuery<OfferedCallRow>($"""
            SELECT c.id, c.provider_call_id, c.operator_id FROM calls c
            JOIN operator_presence p ON p.operator_id = c.operator_id AND p.state = 'Offered'
            WHERE c.status = 'Claimed' AND c.claimed_at <= {cutoff}
            """).ToListAsync(ct);
    }

    /// <summary>Wrap-up that lasted Routing:WrapUpSeconds ends: those operators are available again.</summary>
    public Task<int> EndLongWrapUpsAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var startedBefore = now.AddSeconds(-routing.WrapUpSeconds);
        return db.Database.ExecuteSqlAsync($"""
            UPDATE operator_presence SET state = 'Available', updated_at = {now}
            WHERE state = 'WrapUp' AND updated_at <= {startedBefore}
            """, ct);
    }

    /// <summary>The oldest waiting calls heard from recently, to offer in turn.</summary>
    public Task<List<Guid>> OldestWaitingAsync(int count, CancellationToken ct)
    {
        var heardSince = clock.GetUtcNow().AddSeconds(-options.Value.CallerSilenceSeconds);
        return db.Database.SqlQuery<Guid>($"""
            SELECT id AS "Value" FROM calls WHERE status = 'Waiting' AND last_seen_at >= {heardSince}
            ORDER BY received_at, id LIMIT {count}
            """).ToListAsync(ct);
    }

    /// <summary>Whether anyone could be offered a call now (past any cooldown).</summary>
    public Task<bool> AnyoneOfferableAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return db.Set<OperatorPresence>().AnyAsync(p => p.State == PresenceState.Available
            && (p.OfferableAt == null || p.OfferableAt <= now), ct);
    }
}
