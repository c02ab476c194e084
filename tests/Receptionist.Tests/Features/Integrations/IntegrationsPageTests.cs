using Microsoft.Playwright;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Integrations;

public sealed class IntegrationsPageTests(LiveReceptionistApp app, Browser browser) : IClassFixture<LiveReceptionistApp>
{
    [Fact]
    public async Task AnOwnerBlocksANumberWithTheErrorNextToTheFieldSeesANewKeyOnceAndOptsIntoTheDigest()
    {
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", $"page-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#auth-password", "page-password-1");
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await page.ClickAsync("#register");
        await page.FillAsync("#name", "Химчистка «Снег»");
        await page.FillAsync("#protected-number", "8 (495) 765-43-22");
        await page.FillAsync("#summary-emails", "clean@example.com");
        await page.ClickAsync("#save-profile");
        await Assertions.Expect(page.Locator("#profile-title")).ToHaveTextAsync("Химчистка «Снег»");

        await page.ClickAsync("#integrations-open");
        await page.FillAsync("#integrations-block-number", "12");
        await page.ClickAsync("#integrations-block-form button[type=submit]");
        await Assertions.Expect(page.Locator("#integrations-block-number + .field-error"))
            .ToHaveTextAsync("Введите номер телефона, например +7 916 123-45-67.");
        await page.FillAsync("#integrations-block-number", "8 916 555-44-33");
        await page.FillAsync("#integrations-block-note", "реклама");
        await page.ClickAsync("#integrations-block-form button[type=submit]");
        await Assertions.Expect(page.Locator("#integrations-blocked-rows tr")).ToContainTextAsync("+79165554433");
        await Assertions.Expect(page.Locator("#integrations-block-form .field-error")).ToHaveCountAsync(0);

        await page.FillAsync("#integrations-key-name", "Отчёты");
        await page.ClickAsync("#integrations-key-form button[type=submit]");
        await Assertions.Expect(page.Locator("#integrations-key-once code")).ToContainTextAsync("rk_");
        await Assertions.Expect(page.Locator("#integrations-key-rows tr")).ToContainTextAsync("Отчёты");
        await Assertions.Expect(page.Locator("#integrations-telegram-state")).ToContainTextAsync("Telegram-бот не настроен");

        await page.CheckAsync("#integrations-digest-enabled");
        await page.FillAsync("#integrations-digest-time", "08:30");
        await page.ClickAsync("#integrations-digest-form button[type=submit]");
        await Assertions.Expect(page.Locator("#integrations-digest-form")).ToContainTextAsync("Сохранено.");
        await Assertions.Expect(page.Locator("#integrations-digest-enabled")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#integrations-digest-time")).ToHaveValueAsync("08:30");
    }
}
