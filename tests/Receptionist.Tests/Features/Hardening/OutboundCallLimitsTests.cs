using System.Net;
using System.Net.Http.Json;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Hardening;

/// <summary>The platform calls only numbers it serves, only the business's own, and not as often as an owner likes.</summary>
public sealed class OutboundCallLimitsTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("+7 800 555-35-35")]   // toll-free
    [InlineData("+7 809 505-05-05")]   // premium rate
    [InlineData("+881 6 3123 4567")]   // satellite (Iridium)
    [InlineData("+44 20 7946 0958")]   // fixed line, but not in the allowed countries (RU by default)
    [InlineData("+44 7911 123456")]    // mobile, likewise
    public async Task OnlyFixedLineAndMobileNumbersOfAllowedCountriesCanBeProtected(string number)
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(number), Ct);

        var errors = await response.AssertValidationProblemAsync();
        Assert.Contains("protectedNumber", errors.Keys);
        Assert.Contains(errors["protectedNumber"], m => m.Contains("not served", StringComparison.Ordinal) || m.Contains("fixed-line or mobile", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASecondCheckWithinTheCooldownIsA429WithRetryAfterAndPlacesNoCall()
    {
        var business = await app.NewBusinessAsync(live: false);
        var path = $"/api/businesses/{business.Id}/forwarding/check";
        Assert.Equal(HttpStatusCode.Accepted, (await business.Owner.PostAsync(path, null, Ct)).StatusCode);

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => business.Owner.PostAsync(path, null, Ct)));

        foreach (var refused in responses)
        {
            await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 and <= 120 }, $"Retry-After: {refused.Headers.RetryAfter}");
        }
        Assert.Single(app.Twilio.Requests, r => r.Path.EndsWith("/Calls.json") && r.Form["To"] == business.ProtectedNumber);

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.Accepted, (await business.Owner.PostAsync(path, null, Ct)).StatusCode);
    }

    [Fact]
    public async Task AnOwnerGetsAtMostTenChecksADay()
    {
        var business = await app.NewBusinessAsync(live: false);
        var path = $"/api/businesses/{business.Id}/forwarding/check";
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await business.Owner.PostAsync(path, null, Ct)).StatusCode);
            app.Clock.Advance(TimeSpan.FromMinutes(3));
        }

        var refused = await business.Owner.PostAsync(path, null, Ct);

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        // The first of the ten leaves the 24-hour window 24 h after it ran: 30 minutes of the day have passed.
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalHours, 23, 24);
        Assert.Equal(10, app.Twilio.Requests.Count(r => r.Path.EndsWith("/Calls.json") && r.Form["To"] == business.ProtectedNumber));
    }
}
