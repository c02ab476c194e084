using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Metrics;

/// <summary>One call of a data set written straight into the call record: seconds from the base time to entering
/// the queue, waiting, talking and summarising (null: did not happen), how it ended, and who called.</summary>
sealed record FixedCall(double At, string Outcome, double? Wait = null, double? Talk = null, double? WrapUp = null,
    double? EndedAfter = null, bool? Billable = null, string? Caller = null, Guid? Operator = null)
{
    public static async Task InsertAsync(ReceptionistApp app, Guid businessId, DateTimeOffset baseTime, params FixedCall[] calls)
    {
        foreach (var c in calls)
        {
            var received = baseTime.AddSeconds(c.At);
            DateTimeOffset? answered = c.Wait is { } w ? received.AddSeconds(w) : null;
            DateTimeOffset? ended = answered is { } a && c.Talk is { } t ? a.AddSeconds(t)
                : c.EndedAfter is { } e ? received.AddSeconds(e) : null;
            var id = Guid.NewGuid();
            await app.ScalarAsync<object>("""
                INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, claimed_at,
                                   answered_at, ended_at, operator_id, billable)
                VALUES ($1, $2, $3, $4, 'Ended', $5, $6, $7, $7, $8, $9, $10)
                """, id, businessId, $"CA{Guid.NewGuid():N}", c.Caller ?? $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}",
                c.Outcome, received.UtcDateTime, answered?.UtcDateTime, ended?.UtcDateTime, c.Operator,
                c.Billable ?? (c.Wait <= 30));
            if (c.WrapUp is { } wrap && ended is { } end && c.Operator is { } op)
                await app.ScalarAsync<object>("""
                    INSERT INTO call_summaries (call_id, business_id, operator_id, outcome, outcome_label, fields, created_at)
                    VALUES ($1, $2, $3, 'message_taken', 'Сообщение принято', '{}', $4)
                    """, id, businessId, op, end.AddSeconds(wrap).UtcDateTime);
        }
    }
}
