using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Receptionist.Tests.Features.Businesses;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Scenarios;

/// <summary>The scenario preview on the owner's own business: exactly what the operator will read, never a sample shop.</summary>
public sealed class OwnBusinessPreviewTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APreviewOnTheOwnersBusinessUsesItsNameOnceItsHoursAndShowsTheFieldsForm()
    {
        var owner = await app.NewOwnerAsync();
        var profile = JsonSerializer.SerializeToNode(BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()))!.AsObject();
        profile["name"] = "Стоматология «Улыбка»";
        var created = await owner.PostAsJsonAsync("/api/businesses", profile, Ct);
        var businessId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var builtIns = await owner.GetFromJsonAsync<JsonElement[]>("/api/scenarios?language=ru-RU", Ct);
        var source = builtIns!.Single(s => s.GetProperty("key").GetString() == "take-message").GetProperty("source").GetString();

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source, businessId }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var preview = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var greeting = preview.GetProperty("greeting").GetString()!;
        Assert.Contains("Стоматология «Улыбка»", greeting);
        Assert.DoesNotContain("Стоматология «Стоматология", greeting);
        Assert.DoesNotContain("Ромашка", greeting + preview.GetProperty("script").GetString());
        Assert.Contains(preview.GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "caller_name"
            && f.GetProperty("label").GetString() == "Имя звонящего");
    }

    [Fact]
    public async Task TheBuiltInsAreEachRenderedOnTheOwnersBusinessInItsLanguage()
    {
        var owner = await app.NewOwnerAsync();
        var profile = JsonSerializer.SerializeToNode(BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()))!.AsObject();
        profile["name"] = "Dental Care Smile";
        profile["language"] = "en-US";
        var created = await owner.PostAsJsonAsync("/api/businesses", profile, Ct);
        var businessId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var catalogue = (await owner.GetFromJsonAsync<JsonElement[]>("/api/scenarios?language=en-US", Ct))!;

        var builtIns = (await owner.GetFromJsonAsync<JsonElement[]>($"/api/businesses/{businessId}/scenario/built-ins", Ct))!;

        Assert.Equal(catalogue.Select(s => s.GetProperty("key").GetString()), builtIns.Select(s => s.GetProperty("key").GetString()));
        Assert.True(builtIns.Length >= 3, "several built-ins to compare");
        foreach (var builtIn in builtIns)
        {
            var key = builtIn.GetProperty("key").GetString();
            var english = catalogue.Single(s => s.GetProperty("key").GetString() == key);
            Assert.Equal(english.GetProperty("title").GetString(), builtIn.GetProperty("title").GetString());
            Assert.False(string.IsNullOrWhiteSpace(builtIn.GetProperty("description").GetString()), key);
            var preview = builtIn.GetProperty("preview");
            Assert.Contains("Dental Care Smile", preview.GetProperty("greeting").GetString());
            Assert.DoesNotMatch("[А-Яа-яЁё]", preview.GetProperty("greeting").GetString()!);
            Assert.NotEqual(0, preview.GetProperty("fields").GetArrayLength());
        }

        // Picked with one click: saving the built-in by its key makes it the current version, whose text can then be edited.
        var chosen = builtIns[1].GetProperty("key").GetString();
        (await owner.PutAsJsonAsync($"/api/businesses/{businessId}/scenario", new { builtIn = chosen }, Ct)).EnsureSuccessStatusCode();
        var current = await owner.GetFromJsonAsync<JsonElement>($"/api/businesses/{businessId}/scenario", Ct);
        Assert.Equal(chosen, current.GetProperty("builtIn").GetString());
        Assert.Equal(builtIns[1].GetProperty("source").GetString(), current.GetProperty("source").GetString());
    }

    [Fact]
    public async Task AnotherOwnersBusinessGetsNoBuiltInPreviews()
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        var businessId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var stranger = await app.NewOwnerAsync();

        var response = await stranger.GetAsync($"/api/businesses/{businessId}/scenario/built-ins", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AnotherOwnersBusinessCannotBePreviewedOn()
    {
        var owner = await app.NewOwnerAsync();
        var created = await owner.PostAsJsonAsync("/api/businesses", BusinessesTests.ValidBusiness(BusinessesTests.UniqueMoscowNumber()), Ct);
        var businessId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var stranger = await app.NewOwnerAsync();

        var response = await stranger.PostAsJsonAsync("/api/scenarios/preview", new { source = "## greeting\nЗдравствуйте!", businessId }, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
