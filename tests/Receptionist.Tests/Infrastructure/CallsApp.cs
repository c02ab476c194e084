using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// The service with Twilio played by a loopback fake and time under the test's control, plus helpers to set up a
/// business that is live (line, forwarding verified, scenario, paid) and to drive calls through signed webhooks.
/// </summary>
public class CallsApp(PostgresServer postgres) : TelephonyApp(postgres)
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(Clock);
        // The provider client's retries keep their number and rules, not their pauses: Polly waits on the
        // TimeProvider, which here only moves when a test moves it.
        services.PostConfigureAll<Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions>(o =>
            o.Retry.Delay = TimeSpan.Zero);
    }

    // Tests run reconciliation themselves (ReconcileAsync) after moving the clock, so the timer never races them.
    // These tests drive the pull model (operators take calls by hand); RoutingApp drives push routing.
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Calls:ReconcileInterval", "01:00:00"), new("Routing:Push", "false")];

    /// <summary>One pass of reconciliation with the provider, as an instance's timer would run it.</summary>
    public Task<int> ReconcileAsync() =>
        Services.GetRequiredService<Receptionist.Features.Calls.CallReconciler>().RunOnceAsync(TestContext.Current.CancellationToken);

    static int lineCounter;

    /// <summary>A new owner with a business on a fresh line; live unless told otherwise.</summary>
    public async Task<LiveBusiness> NewBusinessAsync(bool live = true, object? profile = null)
    {
        var line = $"+7495{Interlocked.Increment(ref lineCounter) + 3_000_000 + Random.Shared.Next(0, 100) * 10_000}";
        var admin = await AdminAsync();
        (await admin.PostAsJsonAsync("/api/admin/lines", new { number = line })).EnsureSuccessStatusCode();
        var owner = await NewOwnerAsync();
        var protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}";
        var summaryEmail = $"owner-{Guid.NewGuid():N}@example.com";
        var created = await owner.PostAsJsonAsync("/api/businesses", profile ?? new
        {
            name = "Автосервис «Мотор»", protectedNumber, timeZone = "Europe/Moscow",
            summaryEmails = new[] { summaryEmail },
        });
        created.EnsureSuccessStatusCode();
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        var assignedLine = body.GetProperty("lineNumber").GetString()!;
        if (live)
        {
            (await owner.PutAsJsonAsync($"/api/businesses/{id}/scenario", new { builtIn = "take-message" })).EnsureSuccessStatusCode();
            await ScalarAsync<object>("UPDATE businesses SET forwarding_verified_at = now() WHERE id = $1", id);
            await PaySubscriptionAsync(id);
        }
        return new LiveBusiness(id, owner, assignedLine, body.GetProperty("protectedNumber").GetString()!,
            body.GetProperty("summaryEmails")[0].GetString()!);
    }

    /// <summary>What a successful Stripe checkout leaves behind: an active subscription.</summary>
    public Task PaySubscriptionAsync(Guid businessId) => ScalarAsync<object>("""
        INSERT INTO subscriptions (id, business_id, plan_key, status, current_period_start, current_period_end, updated_at)
        VALUES (gen_random_uuid(), $1, 'start', 'Active', now() - interval '1 day', now() + interval '29 days', now())
        ON CONFLICT (business_id) DO UPDATE SET status = 'Active'
        """, businessId);

    public Task<HttpResponseMessage> IncomingCallAsync(string callSid, string from, string to, string? forwardedFrom = null)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = callSid, ["AccountSid"] = AccountSid, ["From"] = from, ["To"] = to,
            ["CallStatus"] = "ringing", ["Direction"] = "inbound", ["ApiVersion"] = "2010-04-01",
        };
        if (forwardedFrom is not null)
            form["ForwardedFrom"] = forwardedFrom;
        return PostSignedAsync("/telephony/twilio/voice", form);
    }

    /// <summary>A Twilio callback about a call, with extra fields (CallStatus, QueueResult, DialCallStatus, ...).</summary>
    public Task<HttpResponseMessage> CallbackAsync(string path, string callSid, params (string Key, string Value)[] fields)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = callSid, ["AccountSid"] = AccountSid, ["From"] = "+79160000000", ["To"] = "+74950000000",
            ["CallStatus"] = "in-progress", ["Direction"] = "inbound",
        };
        foreach (var (key, value) in fields)
            form[key] = value;
        return PostSignedAsync(path, form);
    }

    /// <summary>Emails waiting in or delivered from the outbox to this business's owner.</summary>
    public Task<long> EmailsToAsync(LiveBusiness business) => ScalarAsync<long>(
        "SELECT count(*) FROM outbox_messages WHERE kind = 'email' AND payload::text LIKE '%' || $1 || '%'", business.SummaryEmail);

    /// <summary>Ends every call still in progress, so the queue holds only what a test puts in it next.</summary>
    public Task ClearQueueAsync() => ScalarAsync<object>(
        "UPDATE calls SET status = 'Ended', outcome = 'Abandoned', ended_at = now() WHERE status <> 'Ended'");

    public async Task<HttpClient> AvailableOperatorAsync(string name = "Анна Петрова")
    {
        var (client, _) = await NewOperatorAsync(name);
        (await client.PutAsJsonAsync("/api/console/presence", new { state = "available" })).EnsureSuccessStatusCode();
        return client;
    }

    /// <summary>A call to <paramref name="business"/> taken by a new operator, connected, hung up and summarised.</summary>
    public async Task<Guid> SummarisedCallAsync(LiveBusiness business, string outcome, string? caller = null, string? note = null)
    {
        var sid = $"CA{Guid.NewGuid():N}";
        await ClearQueueAsync();
        (await IncomingCallAsync(sid, caller ?? $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", business.Line)).EnsureSuccessStatusCode();
        var id = await ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        var operatorClient = await AvailableOperatorAsync();
        (await operatorClient.PostAsync("/api/console/calls/next", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        (await CallbackAsync($"/telephony/twilio/operator-leg?call={id}", $"CL{sid}", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        (await CallbackAsync("/telephony/twilio/status", sid, ("CallStatus", "completed"))).EnsureSuccessStatusCode();
        var summary = await operatorClient.PostAsJsonAsync($"/api/console/calls/{id}/summary", new
        {
            outcome,
            note,
            fields = new Dictionary<string, string>
            {
                ["caller_name"] = "Неизвестный", ["callback_number"] = "+79161234567", ["reason"] = "Предлагал кредит",
            },
        }, TestContext.Current.CancellationToken);
        Assert.True(summary.IsSuccessStatusCode, await summary.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return id;
    }
}

public sealed record LiveBusiness(Guid Id, HttpClient Owner, string Line, string ProtectedNumber, string SummaryEmail);
