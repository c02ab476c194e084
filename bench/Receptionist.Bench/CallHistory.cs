using Npgsql;

/// <summary>
/// A generated call history, written with set-based SQL (a million calls in a few minutes), for the benchmarks that
/// need a full table: 200 businesses, each with its own owner, 100 operators, calls spread over the last 90 days
/// (85 % answered, 8 % abandoned, 4 % overflowed, 3 % not live), a summary for each answered call and a transfer to
/// the owner for one in 50. Generated owners and operators are copies of the benchmark's owner, so they sign in with
/// its password.
/// </summary>
static class CallHistory
{
    public const int Businesses = 200, Operators = 100;

    /// <summary>The operators <c>op1…op100@bench.example</c> and 199 businesses besides <paramref name="templateBusiness"/>,
    /// copies of it, each owned by its own <c>owner{n}@bench.example</c>.</summary>
    public static Task AddPeopleAsync(NpgsqlDataSource data, Guid templateBusiness) => ExecuteAsync(data, $"""
        INSERT INTO users
        SELECT (jsonb_populate_record(NULL::users, to_jsonb(u) || jsonb_build_object(
            'id', gen_random_uuid(), 'email', p.email, 'normalized_email', upper(p.email),
            'user_name', p.email, 'normalized_user_name', upper(p.email), 'display_name', p.display_name))).*
        FROM users u,
             (SELECT 'op' || g || '@bench.example', 'Оператор ' || g FROM generate_series(1, {Operators}) g
              UNION ALL SELECT 'owner' || g || '@bench.example', 'Владелец ' || g FROM generate_series(1, {Businesses - 1}) g) p(email, display_name)
        WHERE u.email = 'bench@example.com';
        INSERT INTO user_roles (user_id, role_id)
        SELECT u.id, r.id FROM users u JOIN roles r ON r.name = CASE WHEN u.email LIKE 'op%' THEN 'Operator' ELSE 'Owner' END
        WHERE u.email ~ '^(op|owner)[0-9]+@bench\.example$';
        INSERT INTO businesses
        SELECT (jsonb_populate_record(NULL::businesses, to_jsonb(b) || jsonb_build_object(
            'id', gen_random_uuid(), 'name', 'Компания ' || g, 'protected_number', '+7495' || (2000000 + g),
            'owner_id', (SELECT id FROM users WHERE email = 'owner' || g || '@bench.example')))).*
        FROM businesses b, generate_series(1, {Businesses - 1}) g WHERE b.id = '{templateBusiness}';
        """);

    /// <summary>
    /// <paramref name="calls"/> ended calls, in the order they arrived (as production writes them), and their summaries.
    /// Caller numbers come from <paramref name="callerNumbers"/> distinct ones; it is a multiple of the 200 businesses,
    /// so each number calls one business only, as a business's customers do.
    /// </summary>
    public static async Task AddCallsAsync(NpgsqlDataSource data, int calls, int callerNumbers)
    {
        await ExecuteAsync(data, $"""
            WITH b AS (SELECT array_agg(id) AS ids FROM businesses),
                 o AS (SELECT array_agg(id) AS ids FROM users WHERE email ~ '^op[0-9]+@bench\.example$'),
                 g AS (SELECT g, random() AS kind, random() AS w, random() AS t, floor(random() * {Operators})::int AS operator,
                              now() - random() * interval '90 days' AS received FROM generate_series(1, {calls}) g)
            INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, claimed_at,
                               answered_at, ended_at, operator_id, billable)
            SELECT gen_random_uuid(), b.ids[1 + g % array_length(b.ids, 1)], 'CAbench' || g,
                   '+7916' || (1000000 + (g::bigint * 7919) % {callerNumbers}),
                   'Ended', CASE WHEN kind < 0.85 THEN 'Answered' WHEN kind < 0.93 THEN 'Abandoned' WHEN kind < 0.97 THEN 'Overflowed' ELSE 'NotLive' END,
                   received,
                   CASE WHEN kind < 0.85 THEN received + w * interval '45 seconds' END,
                   CASE WHEN kind < 0.85 THEN received + w * interval '45 seconds' END,
                   CASE WHEN kind < 0.85 THEN received + w * interval '45 seconds' + (30 + t * 270) * interval '1 second'
                        WHEN kind < 0.93 THEN received + w * interval '60 seconds'
                        WHEN kind < 0.97 THEN received + interval '65 seconds' ELSE received END,
                   CASE WHEN kind < 0.85 THEN o.ids[1 + operator] END,
                   kind < 0.85 AND w * 45 <= 30
            FROM g, b, o
            ORDER BY g.received;
            INSERT INTO call_summaries (call_id, business_id, operator_id, outcome, outcome_label, fields, created_at)
            SELECT id, business_id, operator_id, 'message_taken', 'Сообщение принято', '{"{}"}', ended_at + random() * interval '60 seconds'
            FROM calls WHERE outcome = 'Answered';
            -- Three answered calls in 100 were handed to the owner warm (half accepted), the caller holding 15 s.
            INSERT INTO call_transfers (call_id, mode, state, operator_id, started_at, ended_at)
            SELECT id, 'Warm', CASE WHEN random() < 0.5 THEN 'Connected' ELSE 'Declined' END, operator_id,
                   answered_at + interval '10 seconds', answered_at + interval '25 seconds'
            FROM calls WHERE outcome = 'Answered' AND random() < 0.03;
            """);
        // As autovacuum would have by then: statistics, and the visibility map that index-only scans rely on.
        await ExecuteAsync(data, "VACUUM ANALYZE calls");
        await ExecuteAsync(data, "VACUUM ANALYZE call_summaries");
        await ExecuteAsync(data, "VACUUM ANALYZE call_transfers");
    }

    /// <summary>The operators' state spans (what the trigger writes as presence changes): one available / offered / busy /
    /// wrap-up cycle per 270 s of a 9-to-17 working day, every day of the history; 90 % of offers answered, the rest
    /// missed or declined.</summary>
    public static Task AddStateSpansAsync(NpgsqlDataSource data) => ExecuteAsync(data, """
        ALTER TABLE operator_state_intervals DISABLE TRIGGER ALL;
        INSERT INTO operator_state_intervals (operator_id, state, started_at, ended_at, offer_outcome)
        SELECT o.id, s.state, c + s.offset_s * interval '1 second', c + (s.offset_s + s.length_s) * interval '1 second',
               CASE WHEN s.state <> 'Offered' THEN NULL WHEN random() < 0.9 THEN 'Answered' WHEN random() < 0.5 THEN 'Missed' ELSE 'Declined' END
        FROM (SELECT id FROM users WHERE email ~ '^op[0-9]+@bench\.example$') o,
             generate_series(date_trunc('day', now() - interval '90 days') + interval '6 hours',
                             now() - interval '1 day', interval '1 day') d,
             generate_series(d, d + interval '8 hours', interval '270 seconds') c,
             (VALUES ('Available', 0, 50), ('Offered', 50, 10), ('Busy', 60, 180), ('WrapUp', 240, 30)) s(state, offset_s, length_s);
        ALTER TABLE operator_state_intervals ENABLE TRIGGER ALL;
        ANALYZE;
        """);

    public static async Task ExecuteAsync(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ScalarAsync(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        command.CommandTimeout = 0;
        return await command.ExecuteScalarAsync();
    }
}
