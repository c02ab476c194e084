using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Receptionist.Features.Billing;
using Receptionist.Tests.Features.Billing;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Onboarding;

/// <summary>Every far end a new owner meets on the way to "live": Twilio, Stripe and a real SMTP server; pages on a real port.</summary>
public sealed class OwnerWalkApp(PostgresServer postgres) : TelephonyApp(postgres)
{
    readonly OwnerFarEnds farEnds = new();
    public SmtpServer Smtp => farEnds.Smtp;
    public FakeStripeApi Stripe => farEnds.Stripe;

    protected override bool OnRealPort => true;

    public override async ValueTask InitializeAsync()
    {
        await farEnds.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), .. farEnds.Settings()];

    /// <summary>What Stripe does once the card is paid: the subscription exists, and the signed event arrives.</summary>
    public async Task CompleteCheckoutAsync(Guid businessId, string plan)
    {
        var (subscriptionId, customerId) = ("sub_" + Guid.NewGuid().ToString("N"), "cus_" + Guid.NewGuid().ToString("N"));
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Stripe.SetSubscription(subscriptionId, customerId, businessId, "active", $"price_{plan}", start, start.AddDays(30));
        var payload = BillingApp.Event("checkout.session.completed", new JsonObject
        {
            ["id"] = "cs_test_" + Guid.NewGuid().ToString("N"), ["object"] = "checkout.session", ["mode"] = "subscription",
            ["status"] = "complete", ["payment_status"] = "paid", ["client_reference_id"] = businessId.ToString(),
            ["customer"] = customerId, ["subscription"] = subscriptionId,
            ["metadata"] = new JsonObject { ["business_id"] = businessId.ToString() },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, BillingEndpoints.WebhookPath)
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Stripe-Signature", StripeSigner.Header(payload, BillingApp.WebhookSecret, DateTimeOffset.UtcNow));
        var response = await CreateClient().SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await farEnds.DisposeAsync();
    }
}

/// <summary>
/// A new owner walks from the front door to "live" through the pages only, as a person would; the providers' sides are
/// played by the fakes. The walk's time, fields and clicks go to the test output (README, "The owner's walk"), never
/// into an assertion.
/// </summary>
public sealed class OwnerWalkTests(OwnerWalkApp app, Browser browser, ITestOutputHelper output) : IClassFixture<OwnerWalkApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The page, counting what the person does on it.</summary>
    sealed class Person(IPage page)
    {
        public int Fields { get; private set; }
        public int Clicks { get; private set; }
        public int Characters { get; private set; }

        public async Task TypeAsync(string selector, string text)
        {
            await page.FillAsync(selector, text);
            Fields++;
            Characters += text.Length;
        }

        public async Task ClickAsync(string selector)
        {
            await page.ClickAsync(selector);
            Clicks++;
        }

        /// <summary>A link followed from outside the pages (an email): one click in the mail client.</summary>
        public async Task OpenAsync(Uri link)
        {
            await page.GotoAsync(link.PathAndQuery);
            Clicks++;
        }
    }

    static Uri LinkIn(MimeKit.MimeMessage message) =>
        new(Regex.Match(message.TextBody ?? "", $@"{Regex.Escape(TelephonyApp.PublicBaseUrl)}/\S+").Value);

    [Fact]
    public async Task ANewOwnerGoesFromTheFrontDoorToLiveThroughThePagesAlone()
    {
        var line = $"+7495{Random.Shared.Next(5_000_000, 5_999_999)}";
        // Our side, before the owner arrives: a receptionist line in the pool.
        (await (await app.AdminAsync()).PostAsJsonAsync("/api/admin/lines", new { number = line }, Ct)).EnsureSuccessStatusCode();
        var email = $"walk-{Guid.NewGuid():N}@example.com";
        var protectedNumber = $"+7495{Random.Shared.Next(6_000_000, 6_999_999)}";
        var page = await browser.NewPageAsync(app.BaseUrl);
        var person = new Person(page);
        var walk = Stopwatch.StartNew();

        // The front door: what it is and what it costs, then "connect".
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#plans tr")).Not.ToHaveCountAsync(0);
        await person.ClickAsync("#offer a.button");

        // Sign-up, with both consents ticked by hand.
        await person.TypeAsync("#auth-email", email);
        await person.TypeAsync("#auth-password", "walk-password-1");
        await person.ClickAsync("#consent-personal-data");
        await person.ClickAsync("#consent-callers-data");
        await person.ClickAsync("#register");
        await Assertions.Expect(page.Locator("#profile")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#signed-up-notice")).ToContainTextAsync(email);

        // The confirmation email, read from the real SMTP server, and its link followed.
        var confirmation = await app.Smtp.WaitForMessageAsync(
            m => m.To.Mailboxes.Any(a => a.Address == email) && m.Subject?.Contains("Подтвердите адрес почты") == true, $"confirmation to {email}");
        await person.OpenAsync(LinkIn(confirmation));
        await Assertions.Expect(page.Locator("#confirm-result")).ToHaveAttributeAsync("data-state", "confirmed");
        await person.ClickAsync("#confirm a");

        // The company: the name said on the phone, the number to forward, where summaries go.
        await Assertions.Expect(page.Locator("#profile")).ToBeVisibleAsync();
        await person.TypeAsync("#name", "Автомойка «Капля»");
        await person.TypeAsync("#protected-number", protectedNumber);
        await person.TypeAsync("#summary-emails", email);
        await person.ClickAsync("#save-profile");
        await Assertions.Expect(page.Locator("#profile-saved")).ToBeVisibleAsync();

        // The number: a line from the pool, and the code to dial for it.
        await Assertions.Expect(page.Locator("#line-number")).ToHaveTextAsync(line);
        await Assertions.Expect(page.Locator("#recommended-dial")).ToContainTextAsync(line);

        // The check: the line calls the owner's number, and the forwarded call comes back (Twilio's side, played here).
        await person.ClickAsync("#start-check");
        await Assertions.Expect(page.Locator("#check-state")).ToHaveAttributeAsync("data-state", "pending");
        var testCall = app.Twilio.Requests.Last(r => r.Path.EndsWith("/Calls.json", StringComparison.Ordinal) && r.Form["To"] == protectedNumber);
        Assert.Equal(line, testCall.Form["From"]);
        var forwarded = await app.PostSignedAsync("/telephony/twilio/voice", new Dictionary<string, string>
        {
            ["CallSid"] = $"CA{Guid.NewGuid():N}", ["AccountSid"] = TelephonyApp.AccountSid, ["From"] = line, ["To"] = line,
            ["ForwardedFrom"] = protectedNumber, ["CallStatus"] = "ringing", ["Direction"] = "inbound", ["ApiVersion"] = "2010-04-01",
        });
        forwarded.EnsureSuccessStatusCode();
        await Assertions.Expect(page.Locator("#check-state")).ToHaveAttributeAsync("data-state", "passed");

        // The scenario: the built-ins side by side on this business, one click.
        await Assertions.Expect(page.Locator("#builtin-cards [data-key=take-message] .greeting")).ToContainTextAsync("Автомойка «Капля»");
        await person.ClickAsync("#builtin-cards [data-key=take-message] button");
        await Assertions.Expect(page.Locator("#scenario-saved")).ToBeVisibleAsync();

        // The plan, far down the page: the steps bar leads there. Off to Stripe's checkout, which sends the owner back
        // before its report of the payment arrives; the page waits for that report by itself.
        await person.ClickAsync("#steps a[data-step=plan]");
        await person.ClickAsync("#billing-plans [data-plan=start] button");
        await page.WaitForURLAsync(url => url.StartsWith(app.Stripe.BaseUrl + "/checkout/", StringComparison.Ordinal));
        var checkout = app.Stripe.Requests.Last(r => r.Path == "/v1/checkout/sessions");
        await page.GotoAsync(new Uri(checkout.Form["success_url"]).PathAndQuery);
        await Assertions.Expect(page.Locator("#billing-notice")).ToContainTextAsync("как только платёжная система подтвердит оплату");
        await Assertions.Expect(page.Locator("#live-badge")).ToHaveTextAsync("не подключено");
        await app.CompleteCheckoutAsync(Guid.Parse(checkout.Form["client_reference_id"]), "start");

        // Live, without a reload.
        await Assertions.Expect(page.Locator("#live-badge")).ToHaveTextAsync("подключено");
        await Assertions.Expect(page.Locator("#steps li.done")).ToHaveCountAsync(7);
        await Assertions.Expect(page.Locator("#billing-notice")).ToHaveTextAsync("Оплата получена, подписка действует.");
        walk.Stop();
        await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(a => a.Address == email) && m.Subject?.Contains("операторы принимают ваши звонки") == true,
            $"'you are live' to {email}");

        output.WriteLine($"The walk from / to live: {walk.Elapsed.TotalSeconds:0.0} s in the browser (the fakes answer at once; " +
                         $"no reading time), {person.Fields} fields filled ({person.Characters} characters typed), {person.Clicks} clicks " +
                         "(the email link and the card form on Stripe's page not counted as fields).");
    }
}
