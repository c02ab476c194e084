using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Features.Digest;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Digest;

/// <summary>Digests of fixed days, made by calling the digest's own step at chosen instants (the fixture's clock is
/// never moved, so the instance's timer does not run).</summary>
public sealed class DigestTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    Task<int> SendDueAtAsync(string utc) =>
        app.Services.GetRequiredService<DailyDigest>().SendDueAsync(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), Ct);

    async Task<LiveBusiness> VladivostokBusinessAsync() => await app.NewBusinessAsync(live: false, profile: new
    {
        name = "Ремонт «Восток»", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Asia/Vladivostok",
        summaryEmails = new[] { $"east-{Guid.NewGuid():N}@example.com" },
    });

    Task AddCallAsync(LiveBusiness business, string caller, string receivedUtc, string outcome) => app.ScalarAsync<object>("""
        INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, last_seen_at, ended_at,
                           answered_at, billable, reconcile_attempts)
        VALUES (gen_random_uuid(), $1, 'CA' || md5(random()::text), $2, 'Ended', $3, $4::timestamptz, $4::timestamptz,
                $4::timestamptz + interval '2 minutes', CASE WHEN $3 = 'Answered' THEN $4::timestamptz + interval '5 seconds' END, false, 0)
        """, business.Id, caller, outcome, receivedUtc);

    Task<long> DigestEmailsAsync(LiveBusiness business) => app.ScalarAsync<long>(
        "SELECT count(*) FROM outbox_messages WHERE kind = 'email' AND payload::text LIKE '%' || $1 || '%'", business.SummaryEmail);

    [Fact]
    public async Task TheDigestHoldsTheBusinessesLocalDayMissedCallsFirstOnceAndNothingOnAnEmptyDay()
    {
        var business = await VladivostokBusinessAsync();
        var quiet = await VladivostokBusinessAsync();
        // Vladivostok is UTC+10: its 10 December runs from 9 December 14:00 to 10 December 14:00 UTC.
        await AddCallAsync(business, "+79160000001", "2026-12-09T13:50:00Z", "Abandoned"); // 9 Dec 23:50 local: the day before
        await AddCallAsync(business, "+79160000002", "2026-12-09T14:30:00Z", "Answered");  // 10 Dec 00:30 local
        await AddCallAsync(business, "+79160000003", "2026-12-10T13:50:00Z", "Abandoned"); // 10 Dec 23:50 local
        await AddCallAsync(business, "+79160000004", "2026-12-10T14:10:00Z", "Abandoned"); // 11 Dec 00:10 local: the day after
        var (_, operatorEmail) = await app.NewOperatorAsync();
        await app.ScalarAsync<object>("""
            INSERT INTO call_summaries (call_id, business_id, operator_id, outcome, outcome_label, fields, note, created_at)
            SELECT c.id, c.business_id, u.id, 'message_taken', 'Сообщение принято', '{"reason": "Замена <масла>"}', 'Перезвонить утром', now()
            FROM calls c, users u WHERE c.caller_number = '+79160000002' AND c.business_id = $1 AND u.email = $2
            """, business.Id, operatorEmail);
        foreach (var owner in new[] { business, quiet })
            (await owner.Owner.PutAsJsonAsync($"/api/businesses/{owner.Id}/digest", new { enabled = true, time = "08:30" }, Ct)).EnsureSuccessStatusCode();

        var early = await SendDueAtAsync("2026-12-10T22:00:00Z");  // 11 Dec 08:00 local: before the digest time
        var due = await SendDueAtAsync("2026-12-10T22:45:00Z");    // 11 Dec 08:45 local
        var again = await SendDueAtAsync("2026-12-10T23:45:00Z");
        var emptyDay = await SendDueAtAsync("2026-12-12T22:45:00Z"); // 13 Dec 08:45 local: 12 Dec had no calls

        Assert.Equal(0, early);
        Assert.Equal(1, due);
        Assert.Equal(0, again);
        Assert.Equal(0, emptyDay);
        Assert.Equal(1L, await DigestEmailsAsync(business));
        Assert.Equal(0L, await DigestEmailsAsync(quiet));
        var subject = await app.ScalarAsync<string>("SELECT payload->>'subject' FROM outbox_messages WHERE payload::text LIKE '%' || $1 || '%'", business.SummaryEmail);
        var text = await app.ScalarAsync<string>("SELECT payload->>'textBody' FROM outbox_messages WHERE payload::text LIKE '%' || $1 || '%'", business.SummaryEmail);
        Assert.Equal("«Ремонт «Восток»»: звонков за 10.12.2026 — 2", subject);
        Assert.DoesNotContain("+79160000001", text);
        Assert.DoesNotContain("+79160000004", text);
        Assert.True(text!.IndexOf("Пропущенные", StringComparison.Ordinal) < text.IndexOf("Принятые", StringComparison.Ordinal));
        Assert.Contains("23:50  +79160000003", text);
        Assert.Contains("00:30  +79160000002 — Сообщение принято: Перезвонить утром", text);
        Assert.Contains("/block/?token=", text);
        Assert.Contains($"https://receptionist.example/owner/#business={business.Id}&call=", text);
    }

    [Fact]
    public async Task DigestSettingsRefuseABadTimeAndStayWithTheirBusiness()
    {
        var business = await VladivostokBusinessAsync();
        var stranger = await app.NewOwnerAsync();

        var badTime = await business.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/digest", new { enabled = true, time = "25:00" }, Ct);
        var foreign = await stranger.PutAsJsonAsync($"/api/businesses/{business.Id}/digest", new { enabled = true }, Ct);
        var defaults = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/digest", Ct);

        Assert.Contains("time", (await badTime.AssertValidationProblemAsync()).Keys);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.False(defaults.GetProperty("enabled").GetBoolean());
        Assert.Equal("09:00", defaults.GetProperty("time").GetString());
    }
}
