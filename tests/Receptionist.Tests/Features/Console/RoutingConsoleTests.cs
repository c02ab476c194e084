using System.Net.Http.Json;
using Microsoft.Playwright;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Console;

/// <summary>Push routing on a real port, for the browser.</summary>
public sealed class RoutingConsoleApp(PostgresServer postgres) : RoutingApp(postgres)
{
    protected override bool OnRealPort => true;
}

/// <summary>The console when calls are pushed to it: the offer rings with its countdown and greeting, the header shows
/// the operator's state and its timer legibly, and the keyboard answers for the operator.</summary>
public sealed class RoutingConsoleTests(RoutingConsoleApp app, Browser browser) : IClassFixture<RoutingConsoleApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The WCAG contrast ratio of an element's text colour on its background, as the browser computed them.</summary>
    static Task<double> ContrastAsync(IPage page, string selector) => page.EvalOnSelectorAsync<double>(selector, """
        element => {
          const style = getComputedStyle(element);
          const rgb = text => text.match(/[\d.]+/g).slice(0, 3).map(Number);
          const luminance = ([r, g, b]) => {
            const [R, G, B] = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * R + 0.7152 * G + 0.0722 * B;
          };
          const [a, b] = [luminance(rgb(style.color)), luminance(rgb(style.backgroundColor))].sort((x, y) => y - x);
          return (a + 0.05) / (b + 0.05);
        }
        """);

    [Fact]
    public async Task AnOfferRingsWithItsGreetingAndCountdownAndTheOperatorDeclinesItFromTheKeyboard()
    {
        await app.ResetAsync();
        var name = $"Цветочная лавка №{Random.Shared.Next(100, 999)}";
        var business = await app.NewBusinessAsync(profile: new
        {
            name, protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            summaryEmails = new[] { "florist@example.com" },
        });
        var (_, email) = await app.NewOperatorAsync("Вера Соколова");
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/console");
        await page.FillAsync("#auth-email", email);
        await page.FillAsync("#auth-password", ReceptionistApp.OperatorPassword);
        await page.ClickAsync("#sign-in");
        await page.ClickAsync("#go-available");
        await Assertions.Expect(page.Locator("#presence")).ToHaveTextAsync("Доступен");
        await Assertions.Expect(page.Locator("#presence-timer")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+:\d\d$"));

        const string caller = "+79165550101";
        var sid = $"CA{Guid.NewGuid():N}";
        (await app.IncomingCallAsync(sid, caller, business.Line)).EnsureSuccessStatusCode();

        await Assertions.Expect(page.Locator("#offer")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#offer-business")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("#offer-caller")).ToHaveTextAsync(caller);
        await Assertions.Expect(page.Locator("#offer-greeting")).ToContainTextAsync(name);
        await Assertions.Expect(page.Locator("#offer-countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Осталось \d+ с$"));
        await Assertions.Expect(page.Locator("#presence")).ToHaveTextAsync("Входящий звонок");
        foreach (var badge in new[] { "#presence", "#presence-timer" })
            Assert.True(await ContrastAsync(page, badge) >= 4.5, $"{badge} contrast below WCAG AA");

        await page.Locator("body").PressAsync("d");

        await Assertions.Expect(page.Locator("#offer")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#presence")).ToHaveTextAsync("Доступен");
        Assert.Equal("Waiting", await app.ScalarAsync<string>("SELECT status FROM calls WHERE provider_call_id = $1", sid));

        // After the cooldown the call rings again; answered (the provider's report), the console shows the call itself.
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        (await app.CallbackAsync($"/telephony/twilio/bridge?call={callId}", sid)).EnsureSuccessStatusCode();
        await Assertions.Expect(page.Locator("#offer")).ToBeVisibleAsync();
        Assert.True(await ContrastAsync(page, "#presence") >= 4.5);
        (await app.CallbackAsync($"/telephony/twilio/operator-leg?call={callId}", sid, ("CallStatus", "in-progress"))).EnsureSuccessStatusCode();
        await Assertions.Expect(page.Locator("#offer")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#call-business")).ToHaveTextAsync(name);
        await Assertions.Expect(page.Locator("#presence")).ToHaveTextAsync("На звонке");
        Assert.True(await ContrastAsync(page, "#presence") >= 4.5);

        // T transfers to the owner; this business has no transfer number, which the operator is told beside the button.
        // (Not while typing in a summary field: focus leaves the field first.)
        await page.Locator("#transfer-warm").FocusAsync();
        await page.Keyboard.PressAsync("t");
        await Assertions.Expect(page.Locator("#transfer-error")).ToContainTextAsync("номер для перевода");
    }
}
