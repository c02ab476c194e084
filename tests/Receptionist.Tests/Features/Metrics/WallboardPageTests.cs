using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Metrics;

/// <summary>The call service on a real port for the browser, with time under the test's control.</summary>
public sealed class WallboardApp(PostgresServer postgres) : CallsApp(postgres)
{
    protected override bool OnRealPort => true;
}

public sealed class WallboardPageTests(WallboardApp app, Browser browser) : IClassFixture<WallboardApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheWallboardShowsACallArrivingAndBeingAnsweredWithoutAReload()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var page = await browser.NewPageAsync(app.BaseUrl);

        await page.GotoAsync("/admin");
        await page.FillAsync("#auth-email", ReceptionistApp.AdminEmail);
        await page.FillAsync("#auth-password", ReceptionistApp.AdminPassword);
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator("#waiting")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator("[data-i18n='wallboard.waiting']")).ToHaveTextAsync("Ждут ответа");
        var answeredBefore = int.Parse(await page.Locator("#today-answered").TextContentAsync() ?? "0");

        var sid = $"CA{Guid.NewGuid():N}";
        var incoming = await app.IncomingCallAsync(sid, "+79165550123", business.Line);
        Assert.True(incoming.IsSuccessStatusCode, await incoming.Content.ReadAsStringAsync(Ct));
        // Pushed to the page through the server-sent events: nobody reloads it.
        await Assertions.Expect(page.Locator("#waiting")).ToHaveTextAsync("1");

        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        var operatorClient = await app.AvailableOperatorAsync("Тамара Табло");
        (await operatorClient.PostAsync("/api/console/calls/next", null, Ct)).EnsureSuccessStatusCode();
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}", "CAleg", ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();

        await Assertions.Expect(page.Locator("#waiting")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator("#today-answered")).ToHaveTextAsync((answeredBefore + 1).ToString());
        await Assertions.Expect(page.Locator("#operators tr", new() { HasText = "Тамара Табло" })).ToContainTextAsync("На звонке");

        // One language on screen: English replaces the Russian text.
        await page.SelectOptionAsync("#language", "en");
        await Assertions.Expect(page.Locator("[data-i18n='wallboard.waiting']")).ToHaveTextAsync("Waiting");
        await Assertions.Expect(page.Locator("#operators tr", new() { HasText = "Тамара Табло" })).ToContainTextAsync("On a call");
    }

    [Fact]
    public async Task TheReportShowsEachOperatorsOffersAndTheirAnswerRate()
    {
        var (_, email) = await app.NewOperatorAsync("Ирина Отчёт");
        var irina = await app.ScalarAsync<Guid>("SELECT id FROM users WHERE email = $1", email);
        // 2025-05-20 in Moscow, a day no other test uses: three offers, answered, rang out and declined.
        var day = new DateTimeOffset(2025, 5, 20, 10, 0, 0, TimeSpan.FromHours(3));
        await app.ScalarAsync<object>("""
            INSERT INTO operator_state_intervals (operator_id, state, started_at, ended_at, offer_outcome) VALUES
                ($1, 'Offered', $2, $2 + interval '5 seconds', 'Answered'),
                ($1, 'Offered', $2 + interval '10 minutes', $2 + interval '10 minutes 15 seconds', 'Missed'),
                ($1, 'Offered', $2 + interval '20 minutes', $2 + interval '20 minutes 3 seconds', 'Declined')
            """, irina, day.UtcDateTime);
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/admin#reports");
        await page.FillAsync("#auth-email", ReceptionistApp.AdminEmail);
        await page.FillAsync("#auth-password", ReceptionistApp.AdminPassword);
        await page.ClickAsync("#sign-in");

        await page.SelectOptionAsync("#period", "custom");
        await page.FillAsync("#from", "2025-05-20");
        await page.FillAsync("#to", "2025-05-20");
        await page.ClickAsync("#show-report");

        await Assertions.Expect(page.Locator("#report-operators thead")).ToContainTextAsync("Доля принятых предложений");
        var row = page.Locator("#report-operators tbody tr", new() { HasText = "Ирина Отчёт" });
        // Offers 3: answered 1, missed 1, declined 1, none withdrawn; the rate 1 / 3.
        await Assertions.Expect(row.Locator("td").Nth(-1)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^33,3\s?%$"));
        Assert.Equal(["3", "1", "1", "1", "0"], (await row.Locator("td").AllTextContentsAsync()).SkipLast(1).TakeLast(5));
    }

    [Fact]
    public async Task AnAdminAddsAnOperatorAndDisablesThemOnThePoolPage()
    {
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/admin#pool");
        await page.FillAsync("#auth-email", ReceptionistApp.AdminEmail);
        await page.FillAsync("#auth-password", ReceptionistApp.AdminPassword);
        await page.ClickAsync("#sign-in");

        var email = $"operator-{Guid.NewGuid():N}@example.com";
        // A taken email: the refusal is a Russian sentence under the email field, not the API's "field: text".
        await page.FillAsync("#staff-name", "Вера Пул");
        await page.FillAsync("#staff-email", ReceptionistApp.AdminEmail);
        await page.FillAsync("#staff-password", ReceptionistApp.OperatorPassword);
        await page.ClickAsync("#staff-form button[type=submit]");
        await Assertions.Expect(page.Locator("#staff-email-problem")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#staff-email-problem")).Not.ToContainTextAsync("email:");
        await page.FillAsync("#staff-name", "Вера Пул");
        await page.FillAsync("#staff-email", email);
        await page.FillAsync("#staff-password", ReceptionistApp.OperatorPassword);
        await page.ClickAsync("#staff-form button[type=submit]");
        var row = page.Locator("#staff tr", new() { HasText = email });
        await Assertions.Expect(row).ToContainTextAsync("Оператор");
        await Assertions.Expect(row).ToContainTextAsync("Активна");
        await Assertions.Expect(row).ToContainTextAsync("ru-RU"); // the languages they answer in

        await row.GetByRole(AriaRole.Button, new() { Name = "Отключить" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Отключена");
        var signIn = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password = ReceptionistApp.OperatorPassword }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    [Fact]
    public async Task AnOwnerSeesTheirServiceFiguresOnTheirPage()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        const string password = "owner-password-1";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password, personalDataConsent = true }, Ct)).EnsureSuccessStatusCode();
        var owner = await app.SignInAsync(email, password);
        // A line in the pool first: a business left waiting for one would take the next test's line.
        (await (await app.AdminAsync()).PostAsJsonAsync("/api/admin/lines", new { number = $"+7495{Random.Shared.Next(4_000_000, 4_999_999)}" }, Ct))
            .EnsureSuccessStatusCode();
        var created = await owner.PostAsJsonAsync("/api/businesses", new
        {
            name = "Цветы у дома", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            summaryEmails = new[] { "flowers@example.com" },
        }, Ct);
        created.EnsureSuccessStatusCode();
        var businessId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        // Two days ago: one call answered in 12 s, one abandoned after 30 s.
        var at = app.Clock.GetUtcNow().AddDays(-2);
        await app.ScalarAsync<object>("""
            INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, answered_at, ended_at, billable)
            VALUES (gen_random_uuid(), $1, $2, '+79160000011', 'Ended', 'Answered', $3, $3 + interval '12 seconds', $3 + interval '90 seconds', true),
                   (gen_random_uuid(), $1, $4, '+79160000012', 'Ended', 'Abandoned', $3, NULL, $3 + interval '30 seconds', false)
            """, businessId, $"CA{Guid.NewGuid():N}", at.UtcDateTime, $"CA{Guid.NewGuid():N}");
        var page = await browser.NewPageAsync(app.BaseUrl);

        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", email);
        await page.FillAsync("#auth-password", password);
        await page.ClickAsync("#sign-in");

        await Assertions.Expect(page.Locator("#service")).ToContainTextAsync("Как обслужены ваши звонки");
        await Assertions.Expect(page.Locator("#service-figures [data-metric=calls] td").Nth(1)).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#service-figures [data-metric=missed] td").Nth(1)).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#service-figures [data-metric=serviceLevel] td").Nth(1)).ToContainTextAsync("50");
        await Assertions.Expect(page.Locator("#service-figures [data-metric=averageSpeedOfAnswerSeconds] td").Nth(1)).ToHaveTextAsync("0:12");
    }
}
