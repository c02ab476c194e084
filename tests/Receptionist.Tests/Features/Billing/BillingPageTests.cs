using Microsoft.Playwright;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Billing;

public sealed class BillingPageTests(BillingApp app, Browser browser) : IClassFixture<BillingApp>
{
    [Fact]
    public async Task AnOwnerSeesThePlansInRublesAndIsSentToStripeCheckout()
    {
        var page = await browser.NewPageAsync(app.BaseUrl);
        await page.GotoAsync("/owner/");
        await page.FillAsync("#auth-email", $"billing-{Guid.NewGuid():N}@example.com");
        await page.FillAsync("#auth-password", "page-password-1");
        await page.CheckAsync("#consent-personal-data");
        await page.CheckAsync("#consent-callers-data");
        await page.ClickAsync("#register");
        await page.FillAsync("#name", "Салон «Ромашка»");
        await page.FillAsync("#protected-number", Businesses.BusinessesTests.UniqueMoscowNumber());
        await page.FillAsync("#summary-emails", "owner@example.com");
        await page.ClickAsync("#save-profile");
        await Assertions.Expect(page.Locator("#profile-title")).ToHaveTextAsync("Салон «Ромашка»");

        await Assertions.Expect(page.Locator("#billing")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#billing-status")).ToContainTextAsync("нет подписки");
        await Assertions.Expect(page.Locator("#billing-plans [data-plan=start]")).ToContainTextAsync("990");
        await Assertions.Expect(page.Locator("#billing-portal")).ToBeHiddenAsync();

        await page.ClickAsync("#billing-plans [data-plan=start] button");

        await page.WaitForURLAsync(url => url.StartsWith(app.Stripe.BaseUrl + "/checkout/cs_test_", StringComparison.Ordinal));
    }
}
