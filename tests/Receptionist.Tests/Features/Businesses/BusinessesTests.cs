using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Businesses;

public sealed class BusinessesTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static object ValidBusiness(string protectedNumber, string? language = null) => new
    {
        name = "Цветочная лавка",
        protectedNumber,
        timeZone = "Europe/Moscow",
        language,
        summaryEmails = new[] { "owner@example.com" },
    };

    /// <summary>A distinct valid Moscow number per call, so tests never collide on the unique protected number.</summary>
    public static string UniqueMoscowNumber() => $"+7495{Random.Shared.Next(1_000_000, 9_999_999)}";

    [Theory]
    [InlineData("8 (495) 120-37-91", "+74951203791")]
    [InlineData("+7 495 120-37-92", "+74951203792")]
    [InlineData("8 916 555-01-02", "+79165550102")]
    public async Task PhoneNumbersAreStoredAndReturnedInE164(string typed, string e164)
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", new
        {
            name = "Студия", protectedNumber = typed, timeZone = "Europe/Moscow",
            summaryEmails = new[] { "a@example.com" }, backupNumber = "8 916 123-45-67",
        }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(e164, body.GetProperty("protectedNumber").GetString());
        Assert.Equal("+79161234567", body.GetProperty("backupNumber").GetString());
        Assert.Equal("ru-RU", body.GetProperty("language").GetString());
        var fetched = await owner.GetFromJsonAsync<JsonElement>(created.Headers.Location, Ct);
        Assert.Equal(e164, fetched.GetProperty("protectedNumber").GetString());
    }

    [Fact]
    public async Task OwnerUpdatesTheWholeProfileWithHoursAndHolidays()
    {
        var owner = await app.NewOwnerAsync();
        var created = await (await owner.PostAsJsonAsync("/api/businesses", ValidBusiness(UniqueMoscowNumber()), Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = created.GetProperty("id").GetGuid();

        var updated = await owner.PutAsJsonAsync($"/api/businesses/{id}", new
        {
            name = "Flower shop",
            protectedNumber = UniqueMoscowNumber(),
            timeZone = "Asia/Yekaterinburg",
            language = "en-US",
            summaryEmails = new[] { "one@example.com", "two@example.com" },
            backupNumber = "+7 916 765-43-21",
            fallback = "backupNumber",
            hours = new[] { new { day = "saturday", open = "10:00", close = "14:00" } },
            holidays = new[] { new { date = "2026-12-31", note = "New Year" } },
        }, Ct);

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var body = await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{id}", Ct);
        Assert.Equal("Flower shop", body.GetProperty("name").GetString());
        Assert.Equal("backupNumber", body.GetProperty("fallback").GetString());
        Assert.Equal(2, body.GetProperty("summaryEmails").GetArrayLength());
        Assert.Equal("saturday", body.GetProperty("hours")[0].GetProperty("day").GetString());
        Assert.Equal("2026-12-31", body.GetProperty("holidays")[0].GetProperty("date").GetString());
    }

    [Fact]
    public async Task AnotherOwnersBusinessAnswers404LikeAMissingOne()
    {
        var owner = await app.NewOwnerAsync();
        var stranger = await app.NewOwnerAsync();
        var id = (await (await owner.PostAsJsonAsync("/api/businesses", ValidBusiness(UniqueMoscowNumber()), Ct))
            .Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PutAsJsonAsync($"/api/businesses/{id}", ValidBusiness(UniqueMoscowNumber()), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{id}/forwarding", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/businesses/{Guid.NewGuid()}", Ct)).StatusCode);
        Assert.Empty((await stranger.GetFromJsonAsync<JsonElement[]>("/api/businesses", Ct))!);
    }

    [Fact]
    public async Task ANumberCanBeProtectedByOnlyOneBusiness()
    {
        var number = UniqueMoscowNumber();
        var first = await app.NewOwnerAsync();
        var second = await app.NewOwnerAsync();
        Assert.Equal(HttpStatusCode.Created, (await first.PostAsJsonAsync("/api/businesses", ValidBusiness(number), Ct)).StatusCode);

        var taken = await second.PostAsJsonAsync("/api/businesses", ValidBusiness(number), Ct);

        Assert.Contains("protectedNumber", (await taken.AssertValidationProblemAsync()).Keys);
        Assert.Empty((await second.GetFromJsonAsync<JsonElement[]>("/api/businesses", Ct))!);
    }

    public static TheoryData<string, string> BadFields => new()
    {
        { """{"name":"","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"]}""", "name" },
        { """{"name":"A","protectedNumber":"12","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"]}""", "protectedNumber" },
        { """{"name":"A","protectedNumber":"not a phone","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"]}""", "protectedNumber" },
        { """{"name":"A","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"]}""", "protectedNumber" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Mars/Olympus","summaryEmails":["a@example.com"]}""", "timeZone" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","language":"de-DE","summaryEmails":["a@example.com"]}""", "language" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":[]}""", "summaryEmails" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["nope"]}""", "summaryEmails[0]" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"backupNumber":"123"}""", "backupNumber" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"backupNumber":"+74951112233"}""", "backupNumber" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"fallback":"backupNumber"}""", "backupNumber" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"fallback":"pigeon"}""", "fallback" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"fallback":"1"}""", "fallback" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"hours":[{"day":"3","open":"09:00","close":"18:00"}]}""", "hours[0].day" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"hours":[{"day":"funday","open":"09:00","close":"18:00"}]}""", "hours[0].day" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"hours":[{"day":"monday","open":"9am","close":"18:00"}]}""", "hours[0].open" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"hours":[{"day":"monday","open":"18:00","close":"09:00"}]}""", "hours[0].close" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"hours":[{"day":"monday","open":"09:00","close":"13:00"},{"day":"monday","open":"12:00","close":"18:00"}]}""", "hours[1]" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"holidays":[{"date":"31.12.2026"}]}""", "holidays[0].date" },
        { """{"name":"A","protectedNumber":"+74951112233","timeZone":"Europe/Moscow","summaryEmails":["a@example.com"],"holidays":[{"date":"2026-12-31"},{"date":"2026-12-31"}]}""", "holidays[1].date" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task BadInputNamesTheFieldAndCreatesNothing(string json, string field)
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsync("/api/businesses", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Contains(field, (await response.AssertValidationProblemAsync()).Keys);
        Assert.Empty((await owner.GetFromJsonAsync<JsonElement[]>("/api/businesses", Ct))!);
    }

    [Fact]
    public async Task AdminsAndOperatorsCannotUseOwnerEndpoints()
    {
        var (operatorClient, _) = await app.NewOperatorAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("/api/businesses", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/businesses", Ct)).StatusCode);
    }
}
