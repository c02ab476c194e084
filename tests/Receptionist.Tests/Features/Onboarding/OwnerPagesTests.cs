using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Onboarding;

public sealed class OwnerPagesTests(LiveReceptionistApp app, Browser browser) : IClassFixture<LiveReceptionistApp>
{
    [Fact]
    public async Task AnOwnerSignsUpDescribesTheBusinessAndSeesTheForwardingCodes()
    {
        await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-77-01");
        var page = await browser.NewPageAsync(app.BaseUrl);

        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", $"page-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#auth-password", "page-password-1");
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await page.ClickAsync("#register");

        await page.FillAsync("#name", "Пекарня «Утро»");
        await page.FillAsync("#protected-number", "8 (495) 765-43-21");
        await page.FillAsync("#summary-emails", "baker@example.com");
        await page.ClickAsync("#save-profile");

        await Assertions.Expect(page.Locator("#profile-title")).ToHaveTextAsync("Пекарня «Утро»");
        await Assertions.Expect(page.Locator("#line-number")).ToHaveTextAsync("+74950007701");
        await Assertions.Expect(page.Locator("#mobile-codes tr[data-kind=noAnswer]")).ToContainTextAsync("**61*+74950007701**20#");
        await Assertions.Expect(page.Locator("#mobile-codes tr[data-kind=noAnswer]")).ToContainTextAsync("##61#");
        await Assertions.Expect(page.Locator("#protected-number")).ToHaveValueAsync("+74957654321");

        // The steps show where the owner is: business and line done, forwarding next.
        await Assertions.Expect(page.Locator("#steps li.done")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#steps li.current")).ToHaveTextAsync("Переадресация");
        await Assertions.Expect(page.Locator("#steps li[aria-current=step]")).ToHaveCountAsync(1);
        // The checklist says what is missing; choosing a scenario ticks its item.
        await Assertions.Expect(page.Locator("#checklist li[data-key=line]")).ToHaveClassAsync("done");
        await Assertions.Expect(page.Locator("#checklist li[data-key=forwarding]")).Not.ToHaveClassAsync("done");
        await Assertions.Expect(page.Locator("#live-badge")).ToHaveTextAsync("не подключено");
        // The built-ins side by side, each greeting in this business's name; one click picks one, which then waits to be edited.
        await Assertions.Expect(page.Locator("#builtin-cards .card")).Not.ToHaveCountAsync(0);
        foreach (var greeting in await page.Locator("#builtin-cards .card .greeting").AllInnerTextsAsync())
            Assert.Contains("Пекарня «Утро»", greeting);
        await page.ClickAsync("#builtin-cards [data-key=order-intake] button");
        await Assertions.Expect(page.Locator("#checklist li[data-key=scenario]")).ToHaveClassAsync("done");
        await Assertions.Expect(page.Locator("#scenario-current")).ToContainTextAsync("версия 1");
        await Assertions.Expect(page.Locator("#builtin-cards .card.chosen")).ToHaveAttributeAsync("data-key", "order-intake");
        await Assertions.Expect(page.Locator("#own-scenario")).ToHaveAttributeAsync("open", "");
        await Assertions.Expect(page.Locator("#scenario-source")).ToHaveValueAsync(new Regex("title: Приём заказа"));
    }

    [Fact]
    public async Task BadProfileInputIsShownNextToTheFormAndNothingIsCreated()
    {
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", $"page-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#auth-password", "page-password-1");
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await page.ClickAsync("#register");

        await page.FillAsync("#name", "Ателье");
        await page.FillAsync("#protected-number", "12345");
        await page.FillAsync("#summary-emails", "tailor@example.com");
        await page.ClickAsync("#save-profile");

        // A Russian sentence under the field itself, never the API's property name.
        await Assertions.Expect(page.Locator("#protected-number-problem")).ToHaveTextAsync(new Regex("^Это не похоже на номер телефона"));
        await Assertions.Expect(page.Locator("#protected-number")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.DoesNotContain("protectedNumber", await page.Locator("#profile").InnerTextAsync());
        await Assertions.Expect(page.Locator("#forwarding")).ToBeHiddenAsync();
    }

    /// <summary>Latin-script words a Russian page may show: the brand, the switch to English, a PBX's own name, keys.</summary>
    // Brands and the scheme an address must start with are written as they are.
    static readonly HashSet<string> AllowedLatin = ["Receptionist", "English", "MANGO", "OFFICE", "Ctrl", "Enter", "Telegram", "amoCRM", "Bitrix", "https"];

    /// <summary>Everything a person can read on the page (text, titles, placeholders, labels for screen readers, options).</summary>
    static async Task<string[]> LatinWordsOnAsync(IPage page)
    {
        var text = await page.EvaluateAsync<string>("""
            () => [document.title, document.body.innerText,
                   ...[...document.querySelectorAll('[placeholder],[aria-label],[title],option')]
                      .map(e => [e.getAttribute('placeholder'), e.getAttribute('aria-label'), e.getAttribute('title'), e.tagName === 'OPTION' ? e.textContent : ''].join(' '))]
                  .join('\n')
            """);
        // Email addresses, phone numbers and dialling codes are data, not words.
        var withoutData = Regex.Replace(text, @"\S+@\S+|\S*\d\S*", " ");
        return [.. Regex.Matches(withoutData, "[A-Za-z]{2,}").Select(m => m.Value).Where(w => !AllowedLatin.Contains(w)).Distinct()];
    }

    [Fact]
    public async Task EveryOwnerPageAndTheConsoleShowNoEnglishInRussian()
    {
        await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-77-03");
        var page = await browser.NewPageAsync(app.BaseUrl);
        var found = new Dictionary<string, string[]>();

        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#plans tr")).Not.ToHaveCountAsync(0);
        await page.ClickAsync("#faq details >> nth=0");
        found["/"] = await LatinWordsOnAsync(page);
        foreach (var legal in new[] { "/privacy", "/terms" })
        {
            await page.GotoAsync(legal);
            found[legal] = await LatinWordsOnAsync(page);
        }

        await page.GotoAsync("/owner/");
        await Assertions.Expect(page.Locator("#auth")).ToBeVisibleAsync();
        found["/ (signed out)"] = await LatinWordsOnAsync(page);
        await page.FillAsync("#auth-email", $"page-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#auth-password", "page-password-1");
        await page.ClickAsync("#register"); // without the consents: two sentences under the boxes
        await Assertions.Expect(page.Locator("#consent-personal-data-problem")).ToBeVisibleAsync();
        found["/ (consent missing)"] = await LatinWordsOnAsync(page);
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await page.ClickAsync("#register");
        await page.FillAsync("#name", "Кофейня «Зерно»");
        await page.FillAsync("#protected-number", "+7 495 765-43-99");
        await page.FillAsync("#summary-emails", "coffee@example.com");
        await page.ClickAsync("#save-profile");
        await Assertions.Expect(page.Locator("#mobile-codes tr")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#billing-status")).Not.ToBeEmptyAsync();
        await page.ClickAsync("#own-scenario summary");
        await page.ClickAsync("#pbx-guides >> xpath=..");
        await page.ClickAsync("#preview-scenario");
        await Assertions.Expect(page.Locator("#scenario-preview")).ToBeVisibleAsync();
        found["/ (signed in)"] = await LatinWordsOnAsync(page);

        await page.GotoAsync("/owner/confirm.html?userId=nobody&code=wrong");
        await Assertions.Expect(page.Locator("#confirm-result")).ToHaveAttributeAsync("data-state", "failed");
        found["/owner/confirm.html"] = await LatinWordsOnAsync(page);
        await page.GotoAsync("/owner/reset.html?email=someone%40example.com&code=wrong");
        await page.FillAsync("#reset-password", "new-password-1");
        await page.ClickAsync("#reset-submit");
        await Assertions.Expect(page.Locator("#reset-error")).ToBeVisibleAsync();
        found["/owner/reset.html"] = await LatinWordsOnAsync(page);

        var (_, operatorEmail) = await app.NewOperatorAsync("Ольга");
        var console = await browser.NewPageAsync(app.BaseUrl);
        await console.GotoAsync("/console");
        await Assertions.Expect(console.Locator("#auth")).ToBeVisibleAsync();
        found["/console (signed out)"] = await LatinWordsOnAsync(console);
        await console.FillAsync("#auth-email", operatorEmail);
        await console.FillAsync("#auth-password", ReceptionistApp.OperatorPassword);
        await console.ClickAsync("#sign-in");
        await Assertions.Expect(console.Locator("#queue-panel")).ToBeVisibleAsync();
        found["/console (signed in)"] = await LatinWordsOnAsync(console);

        Assert.Empty(found.Where(p => p.Value.Length > 0).Select(p => $"{p.Key}: {string.Join(", ", p.Value)}"));
    }

    [Fact]
    public async Task TheFrontDoorOffersThePlansOfTheCatalogueAndOneSwitchLeadsToEnglish()
    {
        var russian = app.CreateClient();
        russian.DefaultRequestHeaders.Add("Accept-Language", "ru");
        var plans = await russian.GetFromJsonAsync<JsonElement[]>("/api/billing/plans", TestContext.Current.CancellationToken);
        var page = await browser.NewPageAsync(app.BaseUrl);

        await page.GotoAsync("/");

        await Assertions.Expect(page.Locator("#offer h2")).ToContainTextAsync("пропущенного звонка");
        await Assertions.Expect(page.Locator("#plans tr")).ToHaveCountAsync(plans!.Length);
        foreach (var plan in plans)
        {
            var row = page.Locator($"#plans tr[data-plan={plan.GetProperty("key").GetString()}]");
            await Assertions.Expect(row).ToContainTextAsync(plan.GetProperty("name").GetString()!);
            await Assertions.Expect(row.Locator("td").Nth(1)).ToContainTextAsync(plan.GetProperty("priceRub").GetInt32().ToString("#,0", new System.Globalization.CultureInfo("ru-RU")));
            await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync(plan.GetProperty("includedCalls").GetInt32().ToString());
        }
        await Assertions.Expect(page.Locator("#sla-rule")).ToContainTextAsync("30 секунд");
        await Assertions.Expect(page.Locator("#contact-email")).ToHaveTextAsync("privacy@receptionist.example");
        // The plans are in the page itself, before any script runs.
        var frontDoor = await app.CreateClient().GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.Contains("<tr data-plan=\"start\"><td>Старт</td><td>990 ₽</td><td>50</td>", frontDoor);
        Assert.Contains("href=\"/privacy\"", frontDoor);
        Assert.Contains("href=\"/terms\"", frontDoor);
        // Who stands behind the service and how to reach them, in the page itself (Legal__ContactEmail, Legal__OperatorName).
        Assert.Contains("<a id=\"contact-email\" href=\"mailto:privacy@receptionist.example\">privacy@receptionist.example</a>", frontDoor);
        Assert.Contains("<span id=\"operator-name\">Receptionist</span>", frontDoor);
        var privacy = await app.CreateClient().GetStringAsync("/privacy", TestContext.Current.CancellationToken);
        Assert.Contains("Редакция 2026-11-27", privacy);
        Assert.Contains("privacy@receptionist.example", privacy);
        Assert.Contains("Оператор персональных данных — Receptionist", privacy);
        var terms = await app.CreateClient().GetStringAsync("/terms", TestContext.Current.CancellationToken);
        Assert.Contains("Исполнитель — Receptionist", terms);
        Assert.Contains("privacy@receptionist.example", terms);

        await page.ClickAsync("#switch-language");

        await Assertions.Expect(page.Locator("#prices h2")).ToHaveTextAsync("Plans");
        await Assertions.Expect(page.Locator("#privacy-link")).ToHaveAttributeAsync("href", "/privacy?lang=en");
        Assert.DoesNotMatch("[А-Яа-яЁё]", await page.Locator("main").InnerTextAsync());
        await page.ClickAsync("#privacy-link");
        await Assertions.Expect(page.Locator("h2")).ToHaveTextAsync("Personal data policy");
    }

    [Fact]
    public async Task EveryOwnerPageIsUsableOnA390PixelPhone()
    {
        await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-77-05");
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.SetViewportSizeAsync(390, 844);
        // Nothing wider than the screen: the page never scrolls sideways (a wide table scrolls inside its own section).
        async Task AssertFitsAsync(string what)
        {
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{what} is {overflow} px wider than a 390 px screen");
        }

        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#plans tr")).Not.ToHaveCountAsync(0);
        await AssertFitsAsync("the front door");
        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", $"phone-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#auth-password", "page-password-1");
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await AssertFitsAsync("the sign-up form");
        await page.ClickAsync("#register");
        await page.FillAsync("#name", "Химчистка «Блеск»");
        await page.FillAsync("#protected-number", "+7 495 765-43-98");
        await page.FillAsync("#summary-emails", "clean@example.com");
        await page.ClickAsync("#save-profile");
        await Assertions.Expect(page.Locator("#mobile-codes tr")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#billing-plans [data-plan=start]")).ToBeVisibleAsync();
        await page.ClickAsync("#pbx-guides >> xpath=..");
        await AssertFitsAsync("the owner's cabinet");
        // Usable, not just fitting: the main actions are on screen and can be pressed.
        await page.Locator("#start-check").ScrollIntoViewIfNeededAsync();
        Assert.True(await page.Locator("#start-check").IsVisibleAsync());
        await page.ClickAsync("#builtin-cards [data-key=take-message] button");
        await Assertions.Expect(page.Locator("#checklist li[data-key=scenario]")).ToHaveClassAsync("done");
        foreach (var path in new[] { "/owner/confirm.html", "/owner/reset.html", "/privacy", "/terms" })
        {
            await page.GotoAsync(path);
            await AssertFitsAsync(path);
        }
    }

    [Fact]
    public async Task TheHeadlinePanelComparesTheWeekWithTheWeekBeforeAndLeadsToTheMissedCallsOnAPhone()
    {
        await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-77-09");
        var email = $"headline-{Guid.NewGuid():N}@example.com";
        (await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email, password = "page-password-1", personalDataConsent = true },
            TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        var owner = await app.SignInAsync(email, "page-password-1");
        var created = await owner.PostAsJsonAsync("/api/businesses",
            BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), TestContext.Current.CancellationToken);
        var businessId = (await created.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetGuid();
        // This week: one call answered in 10 s and one caller who gave up after 30 s. The week before: one answered after 40 s.
        await app.ScalarAsync<object>("""
            INSERT INTO calls (id, business_id, provider_call_id, caller_number, status, outcome, received_at, answered_at, ended_at, billable)
            VALUES (gen_random_uuid(), $1, 'CA' || md5(random()::text), '+79160000021', 'Ended', 'Answered', now() - interval '2 days',
                    now() - interval '2 days' + interval '10 seconds', now() - interval '2 days' + interval '90 seconds', true),
                   (gen_random_uuid(), $1, 'CA' || md5(random()::text), '+79160000022', 'Ended', 'Abandoned', now() - interval '2 days',
                    NULL, now() - interval '2 days' + interval '30 seconds', false),
                   (gen_random_uuid(), $1, 'CA' || md5(random()::text), '+79160000023', 'Ended', 'Answered', now() - interval '10 days',
                    now() - interval '10 days' + interval '40 seconds', now() - interval '10 days' + interval '90 seconds', false)
            """, businessId);
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", email);
        await page.FillAsync("#auth-password", "page-password-1");
        await page.ClickAsync("#sign-in");

        await page.ClickAsync("#headline-period [data-days='7']");

        await Assertions.Expect(page.Locator("#headline-period [data-days='7']")).ToHaveAttributeAsync("aria-pressed", "true");
        var figure = (string metric, int cell) => page.Locator($"#service-figures [data-metric={metric}] td").Nth(cell);
        await Assertions.Expect(figure("calls", 1)).ToHaveTextAsync("2");
        await Assertions.Expect(figure("calls", 2)).ToHaveTextAsync("▲ 1 (было 1)");
        await Assertions.Expect(figure("answered", 2)).ToHaveTextAsync("= (было 1)");
        await Assertions.Expect(figure("missed", 1)).ToHaveTextAsync("1");
        await Assertions.Expect(figure("missed", 2)).ToHaveAttributeAsync("data-trend", "worse");
        await Assertions.Expect(figure("notBilled", 2)).ToHaveTextAsync("▼ 1 (было 1)");
        await Assertions.Expect(figure("averageSpeedOfAnswerSeconds", 1)).ToHaveTextAsync("0:10");
        await Assertions.Expect(figure("averageSpeedOfAnswerSeconds", 2)).ToHaveAttributeAsync("data-trend", "better");
        Assert.Empty(await LatinWordsOnAsync(page));
        Assert.True(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth") <= 0,
            "the panel fits a 390 px screen");

        // The missed count opens the log on exactly those calls.
        await figure("missed", 1).Locator("button").ClickAsync();
        await Assertions.Expect(page.Locator("#filter-outcome")).ToHaveValueAsync("missed");
        await Assertions.Expect(page.Locator("#call-rows tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#call-rows tr")).ToContainTextAsync("+79160000022");
    }

    [Fact]
    public async Task TheOwnerSetsWeeklyHoursAndAHolidayAndTheyAreSaved()
    {
        var email = $"hours-{Guid.NewGuid():N}@example.com";
        // A line of its own: a business left waiting for one would take the next test's line.
        await LinesAndForwardingTests.AddLineAsync(app, "+7 495 000-77-07");
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", email);
        await page.FillAsync("#auth-password", "page-password-1");
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await page.ClickAsync("#register");
        await page.FillAsync("#name", "Пекарня «Вечер»");
        await page.FillAsync("#protected-number", "+7 495 765-43-97");
        await page.FillAsync("#summary-emails", "evening@example.com");

        await page.UncheckAsync("#open-friday");
        await page.CheckAsync("#open-saturday");
        await page.FillAsync("#hours-days tr[data-day=saturday] .from", "10:00");
        await page.FillAsync("#hours-days tr[data-day=saturday] .to", "16:00");
        await page.FillAsync("#holiday-date", "2026-12-31");
        await page.ClickAsync("#add-holiday");
        await page.ClickAsync("#save-profile");

        await Assertions.Expect(page.Locator("#profile-saved")).ToBeVisibleAsync();
        var owner = await app.SignInAsync(email, "page-password-1");
        var business = (await owner.GetFromJsonAsync<JsonElement[]>("/api/businesses", TestContext.Current.CancellationToken))!.Single();
        var hours = business.GetProperty("hours").EnumerateArray()
            .Select(h => $"{h.GetProperty("day").GetString()} {h.GetProperty("open").GetString()}-{h.GetProperty("close").GetString()}").ToList();
        Assert.Equal(["monday 09:00-18:00", "tuesday 09:00-18:00", "wednesday 09:00-18:00", "thursday 09:00-18:00", "saturday 10:00-16:00"], hours);
        Assert.Equal("2026-12-31", business.GetProperty("holidays")[0].GetProperty("date").GetString());
        // Shown again as saved after a reload.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#holiday-list li[data-date='2026-12-31']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#open-friday")).Not.ToBeCheckedAsync();
    }
}
