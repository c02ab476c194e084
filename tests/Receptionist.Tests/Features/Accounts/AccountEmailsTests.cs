using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Receptionist.Data;
using Receptionist.Features.Billing;
using Receptionist.Features.Calls;
using Receptionist.Tests.Features.Billing;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Accounts;

/// <summary>Calls, Stripe and a real SMTP server; the entry plan includes five calls, so 80 % is the fourth.</summary>
public sealed class OwnerEmailsApp(PostgresServer postgres) : CallsApp(postgres)
{
    public const int IncludedCalls = 5;
    readonly OwnerFarEnds farEnds = new();
    public SmtpServer Smtp => farEnds.Smtp;
    public FakeStripeApi Stripe => farEnds.Stripe;

    public override async ValueTask InitializeAsync()
    {
        await farEnds.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), .. farEnds.Settings(), new("Billing:Plans:start:IncludedCalls", $"{IncludedCalls}")];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await farEnds.DisposeAsync();
    }
}

public sealed class AccountEmailsTests(OwnerEmailsApp app) : IClassFixture<OwnerEmailsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    static readonly Regex Link = new($@"{Regex.Escape(TelephonyApp.PublicBaseUrl)}/\S+");

    Task<MimeMessage> EmailAsync(string to, string subjectPart) => app.Smtp.WaitForMessageAsync(
        m => m.To.Mailboxes.Any(a => a.Address == to) && m.Subject?.Contains(subjectPart, StringComparison.Ordinal) == true,
        $"to {to} about '{subjectPart}'");

    IReadOnlyList<MimeMessage> EmailsTo(string to, string subjectPart) => app.Smtp.Messages()
        .Where(m => m.To.Mailboxes.Any(a => a.Address == to) && m.Subject?.Contains(subjectPart, StringComparison.Ordinal) == true).ToList();

    /// <summary>The email's link, opened on this app: it must be one of the owner pages.</summary>
    async Task<Uri> FollowLinkAsync(MimeMessage email)
    {
        var link = new Uri(Link.Match(email.TextBody ?? "").Value);
        var page = await app.CreateClient().GetAsync(link.PathAndQuery, Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        return link;
    }

    Task<string?> OwnerEmailOf(Guid businessId) => app.ScalarAsync<string>(
        "SELECT u.email FROM users u JOIN businesses b ON b.owner_id = u.id WHERE b.id = $1", businessId);

    static async Task RegisterAsync(HttpClient client, string email, string password) =>
        (await client.PostAsJsonAsync("/api/auth/register", new { email, password, personalDataConsent = true }, Ct)).EnsureSuccessStatusCode();

    async Task ConfirmAsync(string email)
    {
        var link = await FollowLinkAsync(await EmailAsync(email, "Подтвердите адрес почты"));
        Assert.Equal("/owner/confirm.html", link.AbsolutePath);
        // What the page asks the API with the link's query.
        var query = QueryHelpers.ParseQuery(link.Query);
        var confirmed = await app.CreateClient().GetAsync($"/api/auth/confirmEmail?userId={query["userId"]}&code={query["code"]}", Ct);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
    }

    [Fact]
    public async Task SignUpEmailsARussianConfirmationLinkWhosePageConfirmsTheAddress()
    {
        var email = $"confirm-{Guid.NewGuid():N}@example.com";
        await RegisterAsync(app.CreateClient(), email, "owner-password-1");
        Assert.False(await app.ScalarAsync<bool>("SELECT email_confirmed FROM users WHERE normalized_email = upper($1)", email));

        var message = await EmailAsync(email, "Подтвердите адрес почты");
        Assert.StartsWith("Здравствуйте!", message.TextBody);
        await ConfirmAsync(email);

        Assert.True(await app.ScalarAsync<bool>("SELECT email_confirmed FROM users WHERE normalized_email = upper($1)", email));
    }

    [Fact]
    public async Task AForgottenPasswordIsReplacedThroughTheEmailedLinkAndTheOldOneStopsWorking()
    {
        var email = $"reset-{Guid.NewGuid():N}@example.com";
        await RegisterAsync(app.CreateClient(), email, "old-password-1");
        await ConfirmAsync(email);

        (await app.CreateClient().PostAsJsonAsync("/api/auth/forgotPassword", new { email }, Ct)).EnsureSuccessStatusCode();
        var link = await FollowLinkAsync(await EmailAsync(email, "Восстановление пароля"));
        Assert.Equal("/owner/reset.html", link.AbsolutePath);
        var query = QueryHelpers.ParseQuery(link.Query);
        Assert.Equal(email, query["email"].ToString());
        var reset = await app.CreateClient().PostAsJsonAsync("/api/auth/resetPassword",
            new { email, resetCode = query["code"].ToString(), newPassword = "new-password-1" }, Ct);

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        await app.SignInAsync(email, "new-password-1");
        var old = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password = "old-password-1" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task ABusinessWaitingForALineIsEmailedOnceWhenAnAdminAddsOne()
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", new
        {
            name = "Ателье «Нить»", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            summaryEmails = new[] { "atelier@example.com" },
        }, Ct);
        var business = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(JsonValueKind.Null, business.GetProperty("lineNumber").ValueKind);
        var line = $"+7495{Random.Shared.Next(5_000_000, 5_999_999)}";

        (await (await app.AdminAsync()).PostAsJsonAsync("/api/admin/lines", new { number = line }, Ct)).EnsureSuccessStatusCode();

        var ownerEmail = await OwnerEmailOf(business.GetProperty("id").GetGuid());
        var email = await EmailAsync(ownerEmail!, "номер-секретарь");
        Assert.Contains(line, email.TextBody);
        Assert.StartsWith("Для «Ателье «Нить»»", email.TextBody);
        Assert.Equal("/owner/", (await FollowLinkAsync(email)).AbsolutePath);
        Assert.Single(EmailsTo(ownerEmail!, "номер-секретарь"));
    }

    [Fact]
    public async Task APassedForwardingCheckIsEmailedAndWhenItIsTheLastStepSoIsBeingLive()
    {
        var business = await app.NewBusinessAsync(live: false);
        (await business.Owner.PutAsJsonAsync($"/api/businesses/{business.Id}/scenario", new { builtIn = "take-message" }, Ct)).EnsureSuccessStatusCode();
        await app.PaySubscriptionAsync(business.Id);
        (await business.Owner.PostAsync($"/api/businesses/{business.Id}/forwarding/check", null, Ct)).EnsureSuccessStatusCode();
        var returning = $"CA{Guid.NewGuid():N}";

        // Twilio retries webhooks: the returning call, twice.
        await app.IncomingCallAsync(returning, business.Line, business.Line, forwardedFrom: business.ProtectedNumber);
        await app.IncomingCallAsync(returning, business.Line, business.Line, forwardedFrom: business.ProtectedNumber);

        var ownerEmail = (await OwnerEmailOf(business.Id))!;
        await FollowLinkAsync(await EmailAsync(ownerEmail, "переадресация работает"));
        var live = await EmailAsync(ownerEmail, "операторы принимают ваши звонки");
        Assert.Contains(business.Line, live.TextBody);
        await FollowLinkAsync(live);
        var status = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/status", Ct);
        Assert.True(status.GetProperty("live").GetBoolean());
        await Task.Delay(300, Ct); // a duplicate would have arrived by now
        Assert.Single(EmailsTo(ownerEmail, "переадресация работает"));
        Assert.Single(EmailsTo(ownerEmail, "операторы принимают ваши звонки"));
    }

    [Fact]
    public async Task AForwardingCheckThatTimesOutIsEmailedOnceWithWhatToDo()
    {
        var business = await app.NewBusinessAsync(live: false);
        (await business.Owner.PostAsync($"/api/businesses/{business.Id}/forwarding/check", null, Ct)).EnsureSuccessStatusCode();

        app.Clock.Advance(TimeSpan.FromSeconds(91));
        var first = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/forwarding/check", Ct);
        var again = await business.Owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{business.Id}/forwarding/check", Ct);

        Assert.Equal("failed", first.GetProperty("state").GetString());
        Assert.Equal("failed", again.GetProperty("state").GetString());
        var ownerEmail = (await OwnerEmailOf(business.Id))!;
        var email = await EmailAsync(ownerEmail, "переадресация не подтвердилась");
        Assert.Contains("за 90 секунд звонок не вернулся", email.TextBody);
        Assert.Contains("запустите проверку снова", email.TextBody);
        await FollowLinkAsync(email);
        await Task.Delay(300, Ct);
        Assert.Single(EmailsTo(ownerEmail, "переадресация не подтвердилась"));
    }

    [Fact]
    public async Task AFailedPaymentIsEmailedOnceWithTheGraceDateAndTheEndOfTheSubscriptionToo()
    {
        var business = await app.NewBusinessAsync(live: false);
        var (subscriptionId, customerId) = ("sub_" + Guid.NewGuid().ToString("N"), "cus_" + Guid.NewGuid().ToString("N"));
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds());
        app.Stripe.SetSubscription(subscriptionId, customerId, business.Id, "active", "price_start", start, start.AddDays(30));
        (await PostStripeEventAsync("checkout.session.completed", new JsonObject
        {
            ["id"] = "cs_test_" + Guid.NewGuid().ToString("N"), ["object"] = "checkout.session", ["mode"] = "subscription",
            ["status"] = "complete", ["payment_status"] = "paid", ["client_reference_id"] = business.Id.ToString(),
            ["customer"] = customerId, ["subscription"] = subscriptionId,
            ["metadata"] = new JsonObject { ["business_id"] = business.Id.ToString() },
        })).EnsureSuccessStatusCode();
        app.Stripe.SetSubscription(subscriptionId, customerId, business.Id, "past_due", "price_start", start, start.AddDays(30));

        // Stripe retries the charge: two failures, one email.
        (await PostStripeEventAsync("invoice.payment_failed", Invoice(subscriptionId, customerId))).EnsureSuccessStatusCode();
        (await PostStripeEventAsync("invoice.payment_failed", Invoice(subscriptionId, customerId))).EnsureSuccessStatusCode();

        var ownerEmail = (await OwnerEmailOf(business.Id))!;
        var failed = await EmailAsync(ownerEmail, "платёж не прошёл");
        var graceUntil = await app.ScalarAsync<DateTime>("SELECT grace_until FROM subscriptions WHERE business_id = $1", business.Id);
        var moscow = TimeZoneInfo.ConvertTimeBySystemTimeZoneId(new DateTimeOffset(graceUntil, TimeSpan.Zero), "Europe/Moscow");
        Assert.Contains($"до {moscow:dd.MM.yyyy HH:mm}", failed.TextBody);
        Assert.Contains("резервный", failed.TextBody);
        await FollowLinkAsync(failed);

        var canceled = app.Stripe.SetSubscription(subscriptionId, customerId, business.Id, "canceled", "price_start", start, start.AddDays(30));
        (await PostStripeEventAsync("customer.subscription.deleted", canceled)).EnsureSuccessStatusCode();
        await FollowLinkAsync(await EmailAsync(ownerEmail, "подписка закончилась"));
        await Task.Delay(300, Ct);
        Assert.Single(EmailsTo(ownerEmail, "платёж не прошёл"));
    }

    [Fact]
    public async Task UsageAlertsComeOnceEachAtEightyAndOneHundredPercentOfTheIncludedCalls()
    {
        var business = await app.NewBusinessAsync(live: false);
        await app.ScalarAsync<object>("""
            INSERT INTO subscriptions (id, business_id, plan_key, provider_customer_id, status, current_period_start, current_period_end, updated_at)
            VALUES (gen_random_uuid(), $1, 'start', $2, 'Active', now() - interval '1 day', now() + interval '29 days', now())
            """, business.Id, "cus_" + Guid.NewGuid().ToString("N"));
        var ownerEmail = (await OwnerEmailOf(business.Id))!;

        for (var n = 1; n <= 3; n++)
            await AnswerBillableCallAsync(business.Id);
        await AnswerBillableCallAsync(business.Id); // the 4th of 5: 80 %
        var eighty = await EmailAsync(ownerEmail, "использовано 80 %");
        Assert.Contains("4 оплачиваемых звонков", eighty.TextBody);
        await FollowLinkAsync(eighty);
        for (var n = 5; n <= 7; n++)
            await AnswerBillableCallAsync(business.Id);

        var hundred = await EmailAsync(ownerEmail, "использовано 100 %");
        Assert.Contains("25 ₽ за звонок", hundred.TextBody);
        await FollowLinkAsync(hundred);
        await Task.Delay(300, Ct);
        Assert.Single(EmailsTo(ownerEmail, "использовано 80 %"));
        Assert.Single(EmailsTo(ownerEmail, "использовано 100 %"));
    }

    /// <summary>An answered call within the SLA, recorded for billing in one transaction as the call flow records it.</summary>
    async Task AnswerBillableCallAsync(Guid businessId)
    {
        var now = app.Clock.GetUtcNow();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(Ct);
        var call = new Call
        {
            BusinessId = businessId, ProviderCallId = "CA" + Guid.NewGuid().ToString("N"), CallerNumber = "+74951234567",
            ReceivedAt = now.AddSeconds(-10), Status = CallStatus.Answered, AnsweredAt = now.AddSeconds(-5),
            Outcome = CallOutcome.Answered, Billable = true,
        };
        db.Add(call);
        await scope.ServiceProvider.GetRequiredService<BillingUsage>().RecordAnsweredCallAsync(db, call, Ct);
        await db.SaveChangesAsync(Ct);
        await transaction.CommitAsync(Ct);
    }

    static JsonObject Invoice(string subscriptionId, string customerId) => new()
    {
        ["id"] = "in_" + Guid.NewGuid().ToString("N"), ["object"] = "invoice", ["customer"] = customerId, ["currency"] = "rub",
        ["status"] = "open",
        ["parent"] = new JsonObject
        {
            ["type"] = "subscription_details",
            ["subscription_details"] = new JsonObject { ["subscription"] = subscriptionId, ["metadata"] = new JsonObject() },
        },
    };

    async Task<HttpResponseMessage> PostStripeEventAsync(string type, JsonObject data)
    {
        var payload = BillingApp.Event(type, data, created: app.Clock.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, BillingEndpoints.WebhookPath)
        {
            Content = new StringContent(payload, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Stripe-Signature", StripeSigner.Header(payload, BillingApp.WebhookSecret, app.Clock.GetUtcNow()));
        return await app.CreateClient().SendAsync(request, Ct);
    }
}
