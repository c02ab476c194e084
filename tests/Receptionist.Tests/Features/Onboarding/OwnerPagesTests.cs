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

        await page.GotoAsync("/");
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

        // The checklist says what is missing; choosing a scenario ticks its item.
        await Assertions.Expect(page.Locator("#checklist li[data-key=line]")).ToHaveClassAsync("done");
        await Assertions.Expect(page.Locator("#checklist li[data-key=forwarding]")).Not.ToHaveClassAsync("done");
        await Assertions.Expect(page.Locator("#live-badge")).ToHaveTextAsync("не подключено");
        await page.SelectOptionAsync("#builtin", "order-intake");
        await page.ClickAsync("#choose-builtin");
        await Assertions.Expect(page.Locator("#checklist li[data-key=scenario]")).ToHaveClassAsync("done");
        await Assertions.Expect(page.Locator("#scenario-current")).ToContainTextAsync("версия 1");
        await Assertions.Expect(page.Locator("#builtin")).ToHaveValueAsync("order-intake");
    }

    [Fact]
    public async Task BadProfileInputIsShownNextToTheFormAndNothingIsCreated()
    {
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/");
        await page.FillAsync("#auth-email", $"page-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#auth-password", "page-password-1");
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await page.ClickAsync("#register");

        await page.FillAsync("#name", "Ателье");
        await page.FillAsync("#protected-number", "12345");
        await page.FillAsync("#summary-emails", "tailor@example.com");
        await page.ClickAsync("#save-profile");

        await Assertions.Expect(page.Locator("#profile-error")).ToContainTextAsync("protectedNumber");
        await Assertions.Expect(page.Locator("#forwarding")).ToBeHiddenAsync();
    }
}
