using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Platform;

/// <summary>Problem details speak the request's language and carry a stable code for each field error.</summary>
public sealed partial class ProblemLanguageTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("[A-Za-z]{2,}")]
    private static partial Regex LatinWord();

    static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    static string[] Messages(JsonElement problem, string field) =>
        [.. problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()!)];

    static string[] Codes(JsonElement problem, string field) =>
        [.. problem.GetProperty("errorCodes").GetProperty(field).EnumerateArray().Select(e => e.GetString()!)];

    static HttpRequestMessage Post(string path, object body, string? language) => new(HttpMethod.Post, path)
    {
        Content = JsonContent.Create(body),
        Headers = { { "Accept-Language", language ?? "" } },
    };

    [Fact]
    public async Task ARussianRequestGetsRussianSentencesAndTheSameCodesAsAnEnglishOne()
    {
        var body = new { email = "not-an-email", password = "short", personalDataConsent = true };

        var russian = await ProblemAsync(await app.CreateClient().SendAsync(Post("/api/auth/register", body, "ru-RU,ru;q=0.9,en;q=0.5"), Ct), HttpStatusCode.BadRequest);
        var english = await ProblemAsync(await app.CreateClient().SendAsync(Post("/api/auth/register", body, "en-US"), Ct), HttpStatusCode.BadRequest);

        Assert.Equal(["Не короче 8 символов."], Messages(russian, "password"));
        Assert.Equal("Проверьте введённые данные.", russian.GetProperty("title").GetString());
        Assert.DoesNotMatch(LatinWord(), string.Join(' ', Messages(russian, "email")).Replace("name@example.ru", ""));
        Assert.Contains("minimum length of '8'", Messages(english, "password").Single());
        Assert.Equal(["tooShort"], Codes(russian, "password"));
        Assert.Equal(Codes(english, "password"), Codes(russian, "password"));
        Assert.Equal(Codes(english, "email"), Codes(russian, "email"));
        Assert.Equal(["invalidEmail"], Codes(english, "email"));
    }

    [Fact]
    public async Task WithoutAnAcceptLanguageTheApiAnswersInEnglishWithCodes()
    {
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/register",
            new { email = $"x-{Guid.NewGuid():N}@example.com", password = "long-enough-1" }, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["Consent to the processing of personal data is required to sign up."], Messages(problem, "personalDataConsent"));
        Assert.Equal(["personalDataConsentRequired"], Codes(problem, "personalDataConsent"));
    }

    [Fact]
    public async Task TheOwnersBusinessErrorsReadAsRussianSentencesNamingEachField()
    {
        var owner = await app.NewOwnerAsync();
        using var request = Post("/api/businesses", new
        {
            name = "Цветы", protectedNumber = "12345", timeZone = "Mars/Olympus", summaryEmails = new[] { "nobody" },
            hours = new[] { new { day = "monday", open = "18:00", close = "09:00" } },
        }, "ru");

        var problem = await ProblemAsync(await owner.SendAsync(request, Ct), HttpStatusCode.BadRequest);

        Assert.Equal(["invalidPhoneNumber"], Codes(problem, "protectedNumber"));
        Assert.StartsWith("Это не похоже на номер телефона", Messages(problem, "protectedNumber").Single());
        Assert.Equal(["Выберите часовой пояс из списка."], Messages(problem, "timeZone"));
        Assert.Equal(["invalidEmail"], Codes(problem, "summaryEmails[0]"));
        Assert.Equal(["closesBeforeOpening"], Codes(problem, "hours[0].close"));
        foreach (var property in problem.GetProperty("errors").EnumerateObject())
            foreach (var message in property.Value.EnumerateArray())
                Assert.DoesNotMatch(LatinWord(), message.GetString()!.Replace("name@example.ru", ""));
    }

    [Fact]
    public async Task AProblemNotAboutAFieldIsRussianTooAndAnUnknownOneNeverLeaksEnglish()
    {
        var owner = await app.NewOwnerAsync();
        var missing = new HttpRequestMessage(HttpMethod.Get, $"/api/businesses/{Guid.NewGuid()}/forwarding/check") { Headers = { { "Accept-Language", "ru" } } };

        var response = await owner.SendAsync(missing, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Не найдено.", problem.GetProperty("title").GetString());
    }
}
