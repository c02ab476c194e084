using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Billing;
using Receptionist.Features.Calls;
using Receptionist.Features.Outbox;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Billing;

/// <summary>The service with Stripe.net pointed at a <see cref="FakeStripeApi"/>; the entry plan includes only two calls.</summary>
public sealed class BillingApp(PostgresServer postgres) : LiveReceptionistApp(postgres)
{
    public const string WebhookSecret = "whsec_test_secret";
    public const string SecretKey = "sk_test_receptionist";
    public const string PublicBaseUrl = "https://receptionist.example";
    public const int IncludedCalls = 2;

    public FakeStripeApi Stripe { get; } = new();

    public override async ValueTask InitializeAsync()
    {
        await Stripe.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Stripe:SecretKey", SecretKey),
        new("Stripe:WebhookSecret", WebhookSecret),
        new("Stripe:ApiBaseUrl", Stripe.BaseUrl),
        new("App:PublicBaseUrl", PublicBaseUrl),
        new("Billing:Plans:start:IncludedCalls", IncludedCalls.ToString()),
        new("Outbox:PollInterval", "00:00:00.050"),
    ];

    /// <summary>Posts a Stripe event (id, created and api_version filled in) signed as Stripe would sign it.</summary>
    public Task<HttpResponseMessage> PostEventAsync(string type, JsonObject data, DateTimeOffset? created = null,
        string? id = null, DateTimeOffset? signedAt = null, string secret = WebhookSecret) =>
        PostSignedAsync(Event(type, data, created, id), signedAt ?? DateTimeOffset.UtcNow, secret);

    public static string Event(string type, JsonObject data, DateTimeOffset? created = null, string? id = null) => new JsonObject
    {
        ["id"] = id ?? "evt_" + Guid.NewGuid().ToString("N"),
        ["object"] = "event",
        ["api_version"] = global::Stripe.StripeConfiguration.ApiVersion,
        ["created"] = (created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["pending_webhooks"] = 1,
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = data },
    }.ToJsonString();

    public async Task<HttpResponseMessage> PostSignedAsync(string payload, DateTimeOffset signedAt, string secret = WebhookSecret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, BillingEndpoints.WebhookPath)
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Stripe-Signature", StripeSigner.Header(payload, secret, signedAt));
        return await CreateClient().SendAsync(request, TestContext.Current.CancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}

public sealed class BillingTests(BillingApp app) : IClassFixture<BillingApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    sealed record Subscriber(HttpClient Owner, Guid BusinessId, string SubscriptionId, string CustomerId,
        DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd);

    async Task<(HttpClient Owner, Guid BusinessId)> NewBusinessAsync()
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        created.EnsureSuccessStatusCode();
        return (owner, (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid());
    }

    static JsonObject CompletedCheckout(Guid businessId, string subscriptionId, string customerId) => new()
    {
        ["id"] = "cs_test_" + Guid.NewGuid().ToString("N"),
        ["object"] = "checkout.session",
        ["mode"] = "subscription",
        ["status"] = "complete",
        ["payment_status"] = "paid",
        ["client_reference_id"] = businessId.ToString(),
        ["customer"] = customerId,
        ["subscription"] = subscriptionId,
        ["metadata"] = new JsonObject { ["business_id"] = businessId.ToString() },
    };

    static JsonObject Invoice(string subscriptionId, string customerId, string status) => new()
    {
        ["id"] = "in_" + Guid.NewGuid().ToString("N"),
        ["object"] = "invoice",
        ["customer"] = customerId,
        ["currency"] = "rub",
        ["status"] = status,
        ["parent"] = new JsonObject
        {
            ["type"] = "subscription_details",
            ["subscription_details"] = new JsonObject { ["subscription"] = subscriptionId, ["metadata"] = new JsonObject() },
        },
    };

    /// <summary>A business that completed checkout for the entry plan; the period started a day ago.</summary>
    async Task<Subscriber> NewSubscriberAsync(string plan = "start")
    {
        var (owner, businessId) = await NewBusinessAsync();
        var (subscriptionId, customerId) = ("sub_" + Guid.NewGuid().ToString("N"), "cus_" + Guid.NewGuid().ToString("N"));
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds());
        var end = start.AddDays(30);
        app.Stripe.SetSubscription(subscriptionId, customerId, businessId, "active", $"price_{plan}", start, end);
        var response = await app.PostEventAsync("checkout.session.completed", CompletedCheckout(businessId, subscriptionId, customerId));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return new Subscriber(owner, businessId, subscriptionId, customerId, start, end);
    }

    async Task<Subscription?> SubscriptionOfAsync(Guid businessId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<Subscription>().AsNoTracking()
            .SingleOrDefaultAsync(s => s.BusinessId == businessId, Ct);
    }

    async Task<JsonElement> BillingOfAsync(Subscriber subscriber)
    {
        var response = await subscriber.Owner.GetAsync($"/api/businesses/{subscriber.BusinessId}/billing", Ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    // --- plans and checkout ---

    [Fact]
    public async Task PlansAreListedCheapestFirstWithRublePricesStartingAt990()
    {
        var plans = await app.CreateClient().GetFromJsonAsync<JsonElement>("/api/billing/plans", Ct);

        Assert.Equal(["start", "business", "pro"], plans.EnumerateArray().Select(p => p.GetProperty("key").GetString()));
        var start = plans[0];
        Assert.Equal(990, start.GetProperty("priceRub").GetInt32());
        Assert.Equal("RUB", start.GetProperty("currency").GetString());
        Assert.Equal(BillingApp.IncludedCalls, start.GetProperty("includedCalls").GetInt32());
        Assert.True(plans[1].GetProperty("includedCalls").GetInt32() > 0);
    }

    [Fact]
    public void PlanCatalogueThatNamesOnePriceTwiceOrLacksAPriceIdFailsValidation()
    {
        var options = new BillingOptions
        {
            Plans =
            {
                ["a"] = new PlanOptions { Name = "A", PriceRub = 990, StripePriceId = "price_same", StripeOveragePriceId = "price_a_over" },
                ["b"] = new PlanOptions { Name = "B", PriceRub = 2490, StripePriceId = "price_same", StripeOveragePriceId = "" },
            },
        };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.Contains(errors, e => e!.Contains("price_same"));
        Assert.Contains(errors, e => e!.Contains("Billing:Plans:b") && e.Contains("StripeOveragePriceId"));
        Assert.NotEmpty(new BillingOptions().Validate(new(new BillingOptions())));
    }

    [Fact]
    public async Task CheckoutCreatesARubleSubscriptionSessionForTheBusinessAndAnswersItsUrl()
    {
        var (owner, businessId) = await NewBusinessAsync();

        var response = await owner.PostAsJsonAsync($"/api/businesses/{businessId}/billing/checkout", new { plan = "business" }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var url = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("url").GetString()!;
        var sent = app.Stripe.Requests.Last(r => r.Path == "/v1/checkout/sessions" && r.Form["client_reference_id"] == businessId.ToString());
        Assert.StartsWith(app.Stripe.BaseUrl + "/checkout/cs_test_", url);
        Assert.Equal($"Bearer {BillingApp.SecretKey}", sent.Authorization);
        Assert.Equal("subscription", sent.Form["mode"]);
        Assert.Equal("rub", sent.Form["currency"]);
        Assert.Equal(businessId.ToString(), sent.Form["metadata[business_id]"]);
        Assert.Equal(businessId.ToString(), sent.Form["subscription_data[metadata][business_id]"]);
        Assert.Equal("price_business", sent.Form["line_items[0][price]"]);
        Assert.Equal("1", sent.Form["line_items[0][quantity]"]);
        Assert.Equal("price_business_overage", sent.Form["line_items[1][price]"]);
        Assert.False(sent.Form.ContainsKey("line_items[1][quantity]"));
        Assert.Equal($"{BillingApp.PublicBaseUrl}/owner/?billing=success#billing", sent.Form["success_url"]);
        Assert.Equal($"{BillingApp.PublicBaseUrl}/owner/?billing=canceled#billing", sent.Form["cancel_url"]);
    }

    [Fact]
    public async Task CheckoutNamesAnUnknownPlanAndHidesAnotherOwnersBusiness()
    {
        var (owner, businessId) = await NewBusinessAsync();
        var (stranger, _) = await NewBusinessAsync();

        var unknown = await owner.PostAsJsonAsync($"/api/businesses/{businessId}/billing/checkout", new { plan = "platinum" }, Ct);
        Assert.Contains("plan", (await unknown.AssertValidationProblemAsync()).Keys);

        var foreign = await stranger.PostAsJsonAsync($"/api/businesses/{businessId}/billing/checkout", new { plan = "start" }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{businessId}/billing", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"/api/businesses/{businessId}/billing/portal", null, Ct)).StatusCode);
        Assert.DoesNotContain(app.Stripe.Requests, r => r.Form.GetValueOrDefault("client_reference_id") == businessId.ToString());
    }

    [Fact]
    public async Task PortalNeedsASubscriptionAndThenOpensForTheCustomer()
    {
        var (owner, businessId) = await NewBusinessAsync();
        var early = await owner.PostAsync($"/api/businesses/{businessId}/billing/portal", null, Ct);
        await early.AssertProblemAsync(HttpStatusCode.Conflict);

        var subscriber = await NewSubscriberAsync();
        var response = await subscriber.Owner.PostAsync($"/api/businesses/{subscriber.BusinessId}/billing/portal", null, Ct);

        response.EnsureSuccessStatusCode();
        var url = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("url").GetString()!;
        Assert.StartsWith(app.Stripe.BaseUrl + "/portal/bps_test_", url);
        var sent = app.Stripe.Requests.Single(r => r.Path == "/v1/billing_portal/sessions" && r.Form["customer"] == subscriber.CustomerId);
        Assert.Equal($"{BillingApp.PublicBaseUrl}/owner/#billing", sent.Form["return_url"]);

        var again = await subscriber.Owner.PostAsJsonAsync($"/api/businesses/{subscriber.BusinessId}/billing/checkout", new { plan = "pro" }, Ct);
        await again.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    // --- webhooks ---

    [Fact]
    public async Task CompletedCheckoutActivatesThePlanWithStripesPeriod()
    {
        var subscriber = await NewSubscriberAsync(plan: "business");

        var row = await SubscriptionOfAsync(subscriber.BusinessId);
        Assert.NotNull(row);
        Assert.Equal(SubscriptionStatus.Active, row.Status);
        Assert.Equal("business", row.PlanKey);
        Assert.Equal(subscriber.CustomerId, row.ProviderCustomerId);
        Assert.Equal(subscriber.SubscriptionId, row.ProviderSubscriptionId);
        Assert.Equal(subscriber.PeriodStart, row.CurrentPeriodStart);
        Assert.Equal(subscriber.PeriodEnd, row.CurrentPeriodEnd);
        var billing = await BillingOfAsync(subscriber);
        Assert.Equal("active", billing.GetProperty("status").GetString());
        Assert.Equal(2490, billing.GetProperty("plan").GetProperty("priceRub").GetInt32());
        Assert.True(billing.GetProperty("callsAnswered").GetBoolean());
        Assert.True(billing.GetProperty("canManage").GetBoolean());
    }

    public static TheoryData<string, int> BadSignatures => new()
    {
        { "no header", 0 },
        { "another secret", 0 },
        { "stale timestamp", -400 },
        { "body changed", 0 },
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task BadlySignedWebhookIsRefusedAndChangesNothing(string flaw, int signedSecondsAgo)
    {
        var (_, businessId) = await NewBusinessAsync();
        var subscriptionId = "sub_" + Guid.NewGuid().ToString("N");
        app.Stripe.SetSubscription(subscriptionId, "cus_x", businessId, "active", "price_start",
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(30));
        var eventId = "evt_" + Guid.NewGuid().ToString("N");
        var payload = BillingApp.Event("checkout.session.completed", CompletedCheckout(businessId, subscriptionId, "cus_x"), id: eventId);
        var signedAt = DateTimeOffset.UtcNow.AddSeconds(signedSecondsAgo);

        using var request = new HttpRequestMessage(HttpMethod.Post, BillingEndpoints.WebhookPath)
        {
            Content = new StringContent(flaw == "body changed" ? payload.Replace("\"paid\"", "\"unpaid\"") : payload, Encoding.UTF8, "application/json"),
        };
        if (flaw != "no header")
            request.Headers.Add("Stripe-Signature", StripeSigner.Header(payload, flaw == "another secret" ? "whsec_other" : BillingApp.WebhookSecret, signedAt));
        var response = await app.CreateClient().SendAsync(request, Ct);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Null(await SubscriptionOfAsync(businessId));
        await using var scope = app.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<ProcessedStripeEvent>().AnyAsync(e => e.Id == eventId, Ct));
        Assert.DoesNotContain(app.Stripe.Requests, r => r.Path == $"/v1/subscriptions/{subscriptionId}");
    }

    [Fact]
    public async Task ARetriedDeliveryOfAnEventChangesNothing()
    {
        var subscriber = await NewSubscriberAsync();
        var cancellation = app.Stripe.SetSubscription(subscriber.SubscriptionId, subscriber.CustomerId, subscriber.BusinessId,
            "canceled", "price_start", subscriber.PeriodStart, subscriber.PeriodEnd);
        var payload = BillingApp.Event("customer.subscription.deleted", cancellation);
        Assert.Equal(HttpStatusCode.OK, (await app.PostSignedAsync(payload, DateTimeOffset.UtcNow)).StatusCode);
        Assert.Equal(SubscriptionStatus.Canceled, (await SubscriptionOfAsync(subscriber.BusinessId))!.Status);

        // The owner subscribes again; then Stripe repeats the old cancellation (same event id).
        app.Stripe.SetSubscription(subscriber.SubscriptionId, subscriber.CustomerId, subscriber.BusinessId,
            "active", "price_start", subscriber.PeriodStart, subscriber.PeriodEnd);
        var fetches = app.Stripe.Requests.Count(r => r.Path == $"/v1/subscriptions/{subscriber.SubscriptionId}");
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<Subscription>()
                .Where(s => s.BusinessId == subscriber.BusinessId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriptionStatus.Active), Ct);

        var retried = await app.PostSignedAsync(payload, DateTimeOffset.UtcNow);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(SubscriptionStatus.Active, (await SubscriptionOfAsync(subscriber.BusinessId))!.Status);
        Assert.Equal(fetches, app.Stripe.Requests.Count(r => r.Path == $"/v1/subscriptions/{subscriber.SubscriptionId}"));
    }

    [Fact]
    public async Task EventsArrivingOutOfOrderLeaveTheNewestState()
    {
        var (_, businessId) = await NewBusinessAsync();
        var (subscriptionId, customerId) = ("sub_" + Guid.NewGuid().ToString("N"), "cus_" + Guid.NewGuid().ToString("N"));
        var (start, end) = (DateTimeOffset.UtcNow.AddDays(-20), DateTimeOffset.UtcNow.AddDays(10));
        var then = DateTimeOffset.UtcNow.AddMinutes(-3);
        var activeThen = app.Stripe.SetSubscription(subscriptionId, customerId, businessId, "active", "price_start", start, end);
        var canceledNow = app.Stripe.SetSubscription(subscriptionId, customerId, businessId, "canceled", "price_start", start, end);

        // Stripe sent created, checkout completed, then deleted; they arrive the other way round.
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventAsync("customer.subscription.deleted", canceledNow, created: then.AddMinutes(2))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventAsync("checkout.session.completed",
            CompletedCheckout(businessId, subscriptionId, customerId), created: then.AddMinutes(1))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.PostEventAsync("customer.subscription.created", activeThen, created: then)).StatusCode);

        var row = await SubscriptionOfAsync(businessId);
        Assert.Equal(SubscriptionStatus.Canceled, row!.Status);
        Assert.Equal(then.AddMinutes(2).ToUnixTimeSeconds(), row.ProviderEventAt!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task AnEventCarryingOldDataAppliesWhatStripeHoldsNow()
    {
        var subscriber = await NewSubscriberAsync();
        var pastDueNow = app.Stripe.SetSubscription(subscriber.SubscriptionId, subscriber.CustomerId, subscriber.BusinessId,
            "past_due", "price_start", subscriber.PeriodStart, subscriber.PeriodEnd);
        pastDueNow["status"] = "active"; // what the event carried when it was created

        await app.PostEventAsync("customer.subscription.updated", pastDueNow);

        Assert.Equal(SubscriptionStatus.PastDue, (await SubscriptionOfAsync(subscriber.BusinessId))!.Status);
    }

    [Fact]
    public async Task AFailedPaymentGivesGraceThenCallsGoToTheFallbackUntilAPaymentSucceeds()
    {
        var subscriber = await NewSubscriberAsync();
        app.Stripe.SetSubscription(subscriber.SubscriptionId, subscriber.CustomerId, subscriber.BusinessId,
            "past_due", "price_start", subscriber.PeriodStart, subscriber.PeriodEnd);
        var failedAt = DateTimeOffset.UtcNow;

        Assert.Equal(HttpStatusCode.OK, (await app.PostEventAsync("invoice.payment_failed",
            Invoice(subscriber.SubscriptionId, subscriber.CustomerId, "open"))).StatusCode);

        var row = await SubscriptionOfAsync(subscriber.BusinessId);
        Assert.Equal(SubscriptionStatus.PastDue, row!.Status);
        var graceUntil = row.GraceUntil!.Value;
        Assert.InRange(graceUntil, failedAt.AddDays(3).AddSeconds(-5), DateTimeOffset.UtcNow.AddDays(3));
        var billing = await BillingOfAsync(subscriber);
        Assert.Equal("pastDue", billing.GetProperty("status").GetString());
        Assert.True(billing.GetProperty("callsAnswered").GetBoolean());
        Assert.True(await AnswersCallsAsync(subscriber.BusinessId, graceUntil.AddSeconds(-1)));
        Assert.False(await AnswersCallsAsync(subscriber.BusinessId, graceUntil.AddSeconds(1)));

        // Stripe retries the payment and fails again: the grace does not start over.
        await app.PostEventAsync("invoice.payment_failed", Invoice(subscriber.SubscriptionId, subscriber.CustomerId, "open"),
            created: DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(graceUntil, (await SubscriptionOfAsync(subscriber.BusinessId))!.GraceUntil);

        app.Stripe.SetSubscription(subscriber.SubscriptionId, subscriber.CustomerId, subscriber.BusinessId,
            "active", "price_start", subscriber.PeriodStart, subscriber.PeriodEnd);
        await app.PostEventAsync("invoice.paid", Invoice(subscriber.SubscriptionId, subscriber.CustomerId, "paid"),
            created: DateTimeOffset.UtcNow.AddSeconds(2));
        row = await SubscriptionOfAsync(subscriber.BusinessId);
        Assert.Equal(SubscriptionStatus.Active, row!.Status);
        Assert.Null(row.GraceUntil);
        Assert.True(await AnswersCallsAsync(subscriber.BusinessId, graceUntil.AddDays(10)));
    }

    [Fact]
    public async Task TheRawSqlConditionAndTheLinqRuleAgreeOnWhoseCallsAreAnswered()
    {
        var now = DateTimeOffset.UtcNow;
        var cases = new (SubscriptionStatus Status, DateTimeOffset? Grace, bool Answered)[]
        {
            (SubscriptionStatus.Active, null, true),
            (SubscriptionStatus.PastDue, now.AddMinutes(1), true),
            (SubscriptionStatus.PastDue, now, false),
            (SubscriptionStatus.PastDue, null, false),
            (SubscriptionStatus.Canceled, now.AddDays(1), false),
            (SubscriptionStatus.None, null, false),
        };
        var businesses = new List<(Guid Id, bool Answered)>();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        foreach (var (status, grace, answered) in cases)
        {
            var (_, businessId) = await NewBusinessAsync();
            db.Add(new Subscription { BusinessId = businessId, Status = status, GraceUntil = grace, UpdatedAt = now });
            businesses.Add((businessId, answered));
        }
        await db.SaveChangesAsync(Ct);
        var ids = businesses.Select(b => b.Id).ToList();

        var byLinq = await db.Set<Subscription>().Where(s => ids.Contains(s.BusinessId))
            .Where(Subscription.AnswersCallsAt(now)).Select(s => s.BusinessId).ToListAsync(Ct);
        foreach (var (id, answered) in businesses)
        {
            Assert.Equal(answered, byLinq.Contains(id));
            Assert.Equal(answered, await AnswersCallsAsync(id, now));
        }
    }

    async Task<bool> AnswersCallsAsync(Guid businessId, DateTimeOffset at)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            $"SELECT EXISTS (SELECT 1 FROM subscriptions WHERE business_id = @business AND ({Subscription.AnswersCallsSql}))", connection);
        command.Parameters.AddWithValue("business", businessId);
        command.Parameters.AddWithValue("now", at);
        return (bool)(await command.ExecuteScalarAsync(Ct))!;
    }

    // --- usage ---

    /// <summary>A call answered <paramref name="waitSeconds"/> after it arrived, billable within the 30 s SLA as the call flow decides.</summary>
    Task<Call> AnswerCallAsync(Guid businessId, DateTimeOffset answeredAt, int waitSeconds) =>
        RecordInOwnTransactionAsync(NewCall(businessId, answeredAt, waitSeconds));

    async Task<List<StripeRequest>> MeterEventsForAsync(string customerId, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var sent = app.Stripe.Requests.Where(r => r.Path == "/v1/billing/meter_events"
                && r.Form.GetValueOrDefault("payload[stripe_customer_id]") == customerId).ToList();
            if (sent.Count >= expected || DateTime.UtcNow > deadline)
                return sent;
            await Task.Delay(25, Ct);
        }
    }

    async Task<int> PendingUsageReportsAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<OutboxMessage>()
            .CountAsync(m => m.Kind == UsageReport.OutboxKind && m.DeliveredAt == null, Ct);
    }

    [Fact]
    public async Task CallsBeyondTheAllowanceAreReportedToStripeOnceEach()
    {
        var subscriber = await NewSubscriberAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        var calls = new List<Call>();
        for (var n = 0; n < BillingApp.IncludedCalls + 2; n++)
            calls.Add(await AnswerCallAsync(subscriber.BusinessId, at.AddMinutes(n), waitSeconds: 5));

        var sent = await MeterEventsForAsync(subscriber.CustomerId, expected: 2);
        await Task.Delay(200, Ct); // a duplicate would have arrived by now

        sent = await MeterEventsForAsync(subscriber.CustomerId, expected: 2);
        Assert.Equal(calls.Skip(BillingApp.IncludedCalls).Select(c => c.Id.ToString()), sent.Select(r => r.Form["identifier"]).Order());
        Assert.All(sent, r =>
        {
            Assert.Equal("receptionist_overage_calls", r.Form["event_name"]);
            Assert.Equal("1", r.Form["payload[value]"]);
            Assert.Equal($"usage-{r.Form["identifier"]}", r.IdempotencyKey);
        });
        var last = calls[^1];
        Assert.Equal(last.AnsweredAt!.Value.ToUnixTimeSeconds().ToString(), sent.Single(r => r.Form["identifier"] == last.Id.ToString()).Form["timestamp"]);

        var billing = await BillingOfAsync(subscriber);
        Assert.Equal(BillingApp.IncludedCalls + 2, billing.GetProperty("callsUsed").GetInt32());
        Assert.Equal(2, billing.GetProperty("overageCalls").GetInt32());
        Assert.Equal(2 * 25, billing.GetProperty("overageRub").GetInt32());
    }

    [Fact]
    public async Task ACallOverTheAnswerSlaIsNeverCountedNorReported()
    {
        var subscriber = await NewSubscriberAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        for (var n = 0; n < BillingApp.IncludedCalls; n++)
            await AnswerCallAsync(subscriber.BusinessId, at.AddMinutes(n), waitSeconds: 30); // exactly at the SLA: billable

        var late = await AnswerCallAsync(subscriber.BusinessId, at.AddMinutes(5), waitSeconds: 31);
        var billable = await AnswerCallAsync(subscriber.BusinessId, at.AddMinutes(6), waitSeconds: 30);

        var sent = await MeterEventsForAsync(subscriber.CustomerId, expected: 1);
        Assert.Equal([billable.Id.ToString()], sent.Select(r => r.Form["identifier"]));
        Assert.False(late.Billable);
        var billing = await BillingOfAsync(subscriber);
        Assert.Equal(BillingApp.IncludedCalls + 1, billing.GetProperty("callsUsed").GetInt32());
        Assert.Equal(1, billing.GetProperty("callsNotBilledSla").GetInt32());
        Assert.Equal(1, billing.GetProperty("overageCalls").GetInt32());
    }

    [Fact]
    public async Task CallsOutsideThePeriodOrWithoutASubscriptionAreNotCounted()
    {
        var subscriber = await NewSubscriberAsync();
        for (var n = 0; n < BillingApp.IncludedCalls + 1; n++)
            await AnswerCallAsync(subscriber.BusinessId, subscriber.PeriodStart.AddSeconds(-1 - n), waitSeconds: 5);
        var (_, unsubscribed) = await NewBusinessAsync();
        for (var n = 0; n < BillingApp.IncludedCalls + 1; n++)
            await AnswerCallAsync(unsubscribed, DateTimeOffset.UtcNow.AddMinutes(-n), waitSeconds: 5);

        Assert.Equal(0, (await BillingOfAsync(subscriber)).GetProperty("callsUsed").GetInt32());
        Assert.Equal(0, await PendingUsageReportsAsync());
        Assert.Empty(await MeterEventsForAsync(subscriber.CustomerId, expected: 0));
    }

    [Fact]
    public async Task ConcurrentAnswersAtTheAllowanceAreCountedOneAfterTheOther()
    {
        var subscriber = await NewSubscriberAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-10);
        for (var n = 0; n < BillingApp.IncludedCalls - 1; n++)
            await AnswerCallAsync(subscriber.BusinessId, at.AddSeconds(n), waitSeconds: 5);

        // The last included call is being answered and not yet committed when the next one comes.
        await using var first = app.Services.CreateAsyncScope();
        var firstDb = first.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var firstTransaction = await firstDb.Database.BeginTransactionAsync(Ct);
        var included = NewCall(subscriber.BusinessId, at.AddMinutes(1));
        firstDb.Add(included);
        await first.ServiceProvider.GetRequiredService<BillingUsage>().RecordAnsweredCallAsync(firstDb, included, Ct);
        await firstDb.SaveChangesAsync(Ct);

        var next = RecordInOwnTransactionAsync(NewCall(subscriber.BusinessId, at.AddMinutes(2)));
        await Task.Delay(300, Ct);
        Assert.False(next.IsCompleted, "the second answer did not wait for the first one's transaction");
        await firstTransaction.CommitAsync(Ct);
        var beyond = await next;

        var sent = await MeterEventsForAsync(subscriber.CustomerId, expected: 1);
        Assert.Equal([beyond.Id.ToString()], sent.Select(r => r.Form["identifier"]));
    }

    static Call NewCall(Guid businessId, DateTimeOffset answeredAt, int waitSeconds = 5, int slaSeconds = 30) => new()
    {
        BusinessId = businessId,
        ProviderCallId = "CA" + Guid.NewGuid().ToString("N"),
        CallerNumber = "+74951234567",
        ReceivedAt = answeredAt.AddSeconds(-waitSeconds),
        Status = CallStatus.Answered,
        AnsweredAt = answeredAt,
        Outcome = CallOutcome.Answered,
        Billable = waitSeconds <= slaSeconds,
    };

    /// <summary>Saves an answered call and records it for billing in one transaction, the way the call flow does.</summary>
    async Task<Call> RecordInOwnTransactionAsync(Call call)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(Ct);
        db.Add(call);
        await scope.ServiceProvider.GetRequiredService<BillingUsage>().RecordAnsweredCallAsync(db, call, Ct);
        await db.SaveChangesAsync(Ct);
        await transaction.CommitAsync(Ct);
        return call;
    }
}
