using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Receptionist.Tests.Infrastructure.Browser))]

namespace Receptionist.Tests.Infrastructure;

/// <summary>
/// Debian's headless Chromium driven by Playwright (which cannot download its own browsers here).
/// Started lazily, once per run, by the first test that needs a page.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    static readonly string ChromiumPath = Environment.GetEnvironmentVariable("Tests__ChromiumPath") is { Length: > 0 } path
        ? path
        : "/usr/bin/chromium";
    readonly SemaphoreSlim gate = new(1, 1);
    IPlaywright? playwright;
    IBrowser? browser;

    public async Task<IPage> NewPageAsync(string baseUrl)
    {
        await gate.WaitAsync();
        try
        {
            if (browser is null)
            {
                if (!File.Exists(ChromiumPath))
                    throw new InvalidOperationException(
                        $"Browser tests need Debian's Chromium at {ChromiumPath}: run ./test.sh as root, or apt-get install chromium.");
                playwright = await Playwright.CreateAsync();
                browser = await playwright.Chromium.LaunchAsync(new()
                {
                    ExecutablePath = ChromiumPath,
                    Headless = true,
                    // Without the background-networking flags Chromium keeps reaching for the internet, which is closed here.
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--no-first-run", "--disable-quic"],
                });
            }
        }
        finally
        {
            gate.Release();
        }
        var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, Locale = "ru-RU" });
        context.SetDefaultTimeout(15_000);
        // Expectations wait as long as actions do: on a busy 2-core machine a page's API calls can take seconds.
        Assertions.SetDefaultExpectTimeout(15_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
            await browser.DisposeAsync();
        playwright?.Dispose();
    }
}
