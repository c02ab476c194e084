using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Data;
using Receptionist.Features.Billing;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Businesses;

/// <summary>An empty pool and a configured provider, with the outbox polled often.</summary>
public sealed class LineProvisioningApp(PostgresServer postgres) : TelephonyApp(postgres)
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Outbox:PollInterval", "00:00:00.050"), new("Outbox:FirstRetryDelay", "00:00:00.100")];
}

/// <summary>An empty pool and a configured provider: lines are bought, only once the business has paid. A class of its own
/// for an empty pool.</summary>
public sealed class LineProvisioningTests(LineProvisioningApp app) : IClassFixture<LineProvisioningApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<(HttpClient Owner, Guid Id)> NewBusinessAsync(HttpClient? existingOwner = null)
    {
        var owner = existingOwner ?? await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("lineNumber").ValueKind);
        return (owner, body.GetProperty("id").GetGuid());
    }

    /// <summary>What a Stripe event saying the subscription is active applies (the webhook's own path into the ledger).</summary>
    async Task PayAsync(Guid businessId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(Ct);
        await scope.ServiceProvider.GetRequiredService<SubscriptionLedger>().ApplyAsync(db,
            new ProviderSubscription($"sub_{Guid.NewGuid():N}", $"cus_{Guid.NewGuid():N}", businessId, SubscriptionStatus.Active, "start",
                DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29)), businessId, DateTimeOffset.UtcNow, Ct);
        await transaction.CommitAsync(Ct);
    }

    async Task<string?> LineOfAsync(HttpClient owner, Guid id, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var line = (await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{id}", Ct)).GetProperty("lineNumber");
            if (line.ValueKind == JsonValueKind.String || DateTime.UtcNow > deadline)
                return line.ValueKind == JsonValueKind.String ? line.GetString() : null;
            await Task.Delay(50, Ct);
        }
    }

    int Purchases() => app.Twilio.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/IncomingPhoneNumbers.json"));

    [Fact]
    public async Task ALineIsBoughtOnlyOnceTheBusinessHasPaidWithItsWebhooksPointedAtUs()
    {
        var before = Purchases();
        var (owner, id) = await NewBusinessAsync();

        // Nothing is bought for a business that has not paid, however long it waits.
        Assert.Null(await LineOfAsync(owner, id, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(before, Purchases());
        var status = await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{id}/status", Ct);
        Assert.False(status.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("key").GetString() == "line").GetProperty("done").GetBoolean());

        await PayAsync(id);
        await PayAsync(id);

        Assert.StartsWith("+7495123", await LineOfAsync(owner, id, TimeSpan.FromSeconds(10)));
        var bought = Assert.Single(app.Twilio.Requests, r => r.Method == "POST" && r.Path.EndsWith("/IncomingPhoneNumbers.json")
            && r.Form.GetValueOrDefault("FriendlyName")?.Contains(id.ToString("N")) == true);
        Assert.Equal($"{TelephonyApp.PublicBaseUrl}/telephony/twilio/voice", bought.Form["VoiceUrl"]);
        Assert.Equal($"{TelephonyApp.PublicBaseUrl}/telephony/twilio/status", bought.Form["StatusCallback"]);
    }

    [Fact]
    public async Task WithTheProviderDownABusinessIsStillCreatedAndItsLineIsBoughtWhenTheProviderIsBack()
    {
        app.Twilio.Unreachable = true;
        try
        {
            var (owner, id) = await NewBusinessAsync();
            await PayAsync(id);
            Assert.Null(await LineOfAsync(owner, id, TimeSpan.FromMilliseconds(500)));
            app.Twilio.Unreachable = false;
            // The provider client's own retries (seconds apart) and the outbox's come round to it.
            Assert.NotNull(await LineOfAsync(owner, id, TimeSpan.FromSeconds(40)));
        }
        finally
        {
            app.Twilio.Unreachable = false;
        }
    }

    [Fact]
    public async Task OneOwnerGetsAtMostThreeBoughtNumbersHoweverManyBusinessesTheyPayFor()
    {
        var owner = await app.NewOwnerAsync();
        var businesses = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var (_, id) = await NewBusinessAsync(owner);
            businesses.Add(id);
            await PayAsync(id);
            if (i < 3)
                Assert.NotNull(await LineOfAsync(owner, id, TimeSpan.FromSeconds(15)));
        }

        Assert.Null(await LineOfAsync(owner, businesses[3], TimeSpan.FromMilliseconds(500)));
        Assert.Equal(0L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE kind = 'line-purchase' AND payload::text LIKE '%' || $1 || '%'", businesses[3].ToString()));
    }
}
