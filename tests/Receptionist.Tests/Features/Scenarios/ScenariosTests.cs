using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Features.Scenarios;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Scenarios;

public sealed class ScenariosTests(ReceptionistApp app) : IClassFixture<ReceptionistApp>
{
    static readonly string[] BuiltInKeys = ["after-hours", "appointment-request", "order-intake", "support-and-complaints", "take-message"];

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    ScenarioRenderer Renderer => app.Services.GetRequiredService<ScenarioRenderer>();

    [Fact]
    public async Task OwnerListsTheBuiltInsTitledInRussianByDefaultAndInEnglishOnRequest()
    {
        var owner = await app.NewOwnerAsync();

        var russian = (await owner.GetFromJsonAsync<JsonElement[]>("/api/scenarios", Ct))!;
        var english = (await owner.GetFromJsonAsync<JsonElement[]>("/api/scenarios?language=en-US", Ct))!;

        Assert.Equal(BuiltInKeys, russian.Select(s => s.GetProperty("key").GetString()));
        Assert.Equal("Принять сообщение", russian.Single(s => s.GetProperty("key").GetString() == "take-message").GetProperty("title").GetString());
        Assert.Equal("Take a message", english.Single(s => s.GetProperty("key").GetString() == "take-message").GetProperty("title").GetString());
        Assert.All(english, s => Assert.Contains("## greeting", s.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task ScenariosAreForSignedInOwnersOnly()
    {
        var anonymous = await app.CreateClient().GetAsync("/api/scenarios", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var (operatorClient, _) = await app.NewOperatorAsync();
        var preview = await operatorClient.PostAsJsonAsync("/api/scenarios/preview", new { source = OwnText }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, preview.StatusCode);
    }

    [Fact]
    public async Task AnUnknownLanguageIsRefusedNamingTheField()
    {
        var owner = await app.NewOwnerAsync();

        var list = await owner.GetAsync("/api/scenarios?language=de-DE", Ct);
        var preview = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = OwnText, language = "de-DE" }, Ct);

        Assert.Contains("language", (await list.AssertValidationProblemAsync()).Keys);
        Assert.Contains("language", (await preview.AssertValidationProblemAsync()).Keys);
    }

    public static TheoryData<string, string> BuiltInsInBothLanguages() =>
        new(BuiltInKeys.SelectMany(key => ScenarioLanguages.Supported.Select(language => (key, language))));

    [Theory]
    [MemberData(nameof(BuiltInsInBothLanguages))]
    public async Task EachBuiltInRendersWithSampleDataInTheRequestedLanguage(string key, string language)
    {
        var owner = await app.NewOwnerAsync();
        var builtIn = (await owner.GetFromJsonAsync<JsonElement[]>("/api/scenarios", Ct))!
            .Single(s => s.GetProperty("key").GetString() == key);

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview",
            new { source = builtIn.GetProperty("source").GetString(), language }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rendered = (await response.Content.ReadFromJsonAsync<RenderedScenario>(Ct))!;
        var sample = ScenarioVariables.Sample(language, DateTimeOffset.UtcNow);
        Assert.Contains(sample.BusinessName, rendered.Greeting);
        Assert.Contains(sample.OperatorFirstName!, rendered.Greeting);
        Assert.DoesNotContain("{{", rendered.Script);
        var english = language == ScenarioLanguages.English;
        // English text has no Cyrillic; Russian text does.
        Assert.Equal(!english, (rendered.Greeting + rendered.Script + rendered.Title).Any(c => c is >= 'А' and <= 'я'));
        Assert.Contains(rendered.Fields, f => f is { Name: "caller_name", Required: true });
        Assert.Contains(rendered.Fields, f => f is { Name: "callback_number", Type: ScenarioFieldTypes.Phone, Required: true });
        Assert.All(rendered.Fields.Where(f => f.Type == ScenarioFieldTypes.Choice), f => Assert.True(f.Choices!.Count >= 2));
        Assert.Equal(["resolved", "transferred", "spam"], rendered.Outcomes.Select(o => o.Key).TakeLast(3));
        Assert.Contains(english ? "Spam" : "Спам", rendered.Outcomes.Select(o => o.Label));
    }

    const string OwnText = """
        title: Мой сценарий

        ## greeting
        {{ business_name }}, {{ operator_name }}, слушаю.
        ## script
        Звонят с {{ caller_number }}; открыто: {{ is_open_now }}; часы: {{ hours_today }}; {{ local_date }} {{ local_time }}.
        {{ for call in earlier_calls }}- {{ call.time }}, {{ call.outcome }}: {{ call.summary }}
        {{ end }}
        ## fields
        caller_name: text, required — Имя
        urgency: choice(низкая | высокая) — Срочность
        ## outcomes
        message_taken — Принято
        spam
        """;

    [Fact]
    public async Task AnOwnersOwnScenarioPreviewsWithEveryVariableFilledIn()
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = OwnText }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rendered = (await response.Content.ReadFromJsonAsync<RenderedScenario>(Ct))!;
        Assert.Equal("Мой сценарий", rendered.Title);
        Assert.Equal("Цветочная лавка «Ромашка», Анна, слушаю.", rendered.Greeting);
        Assert.StartsWith("Звонят с +79161234567; открыто: true; часы: 09:00–20:00;", rendered.Script);
        Assert.Contains("Сообщение принято: Спрашивала, есть ли белые розы", rendered.Script);
        Assert.Contains("Вопрос решён: Заказала букет с доставкой.", rendered.Script);
        Assert.Equal(
            [new ScenarioField("caller_name", "Имя", "text", true, null), new ScenarioField("urgency", "Срочность", "choice", false, ["низкая", "высокая"])],
            rendered.Fields, FieldComparer.Instance);
        Assert.Equal([new ScenarioOutcome("message_taken", "Принято"), new ScenarioOutcome("spam", "spam")], rendered.Outcomes);
    }

    [Theory]
    // Scriban syntax inside the greeting: line 4 of the file, where `}}` comes too early.
    [InlineData("title: T\n\n## greeting\nHello {{ if }}\n## script\nS\n## outcomes\nspam", 4, 13, "Expecting <expression>")]
    [InlineData("## greeting\nHi\n## script\nS\n## fields\nreason: texty, required — Reason\n## outcomes\nspam", 6, 9, "Unknown field type `texty`")]
    [InlineData("## greeting\nHi\n## script\nS\n## outcomes\nspam\n## notes\nx", 7, 1, "Unknown section `## notes`")]
    [InlineData("## greeting\nHi\n## outcomes\nspam\n## script\nS\n## greeting\nagain", 7, 1, "given twice")]
    [InlineData("## greeting\nHi\n## script\nS\n## fields\na: text\n## fields (en)\nb: text\n## outcomes\nspam", 7, 1, "same fields")]
    [InlineData("hello\n## greeting\nHi", 1, 1, "only `title:` and `description:`")]
    public async Task AScenarioWithAnErrorComesBackAsAProblemWithLineAndColumn(string source, int line, int column, string message)
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source }, Ct);

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var errors = await response.AssertValidationProblemAsync();
        Assert.StartsWith($"Line {line}, column {column}: ", errors["source"].Single());
        Assert.Contains(message, errors["source"].Single());
        Assert.Equal(line, problem.GetProperty("line").GetInt32());
        Assert.Equal(column, problem.GetProperty("column").GetInt32());
    }

    [Fact]
    public async Task AScenarioWithoutAGreetingSaysWhatIsMissing()
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = "## script\nS\n## outcomes\nspam" }, Ct);

        Assert.Equal("The scenario has no `## greeting` section.", (await response.AssertValidationProblemAsync())["source"].Single());
    }

    static string Hostile(string greeting) => $"## greeting\n{greeting}\n## script\nS\n## outcomes\nspam";

    [Theory]
    [InlineData("{{ while true }}again {{ end }}", "iteration limit `1000`")]
    [InlineData("{{ for a in 1..1000 }}{{ for b in 1..1000 }}x{{ end }}{{ end }}", "iteration limit `1000`")]
    [InlineData("{{ func down(n) }}{{ down(n + 1) }}{{ end }}{{ down 1 }}", "recursive depth limit `16`")]
    // Four calls per level fifteen deep: a billion calls that only the time budget stops.
    [InlineData("{{ func f(n) }}{{ if n > 0 }}{{ f(n-1) }}{{ f(n-1) }}{{ f(n-1) }}{{ f(n-1) }}{{ end }}{{ end }}{{ f 15 }}", "took longer than 1000 ms")]
    // Hundreds of megabytes if nothing stopped it.
    [InlineData("{{ for i in 1..1000 }}{{ for j in 1..1000 }}{{ '' | string.pad_left 1000 }}{{ end }}{{ end }}", "OutputLimit `10000`")]
    [InlineData("{{ s = 'x' }}{{ for i in 1..40 }}{{ s = s + s }}{{ end }}{{ s }}", "10000")]
    [InlineData("{{ '' | string.pad_left 300000000 }}", "LimitToString `10000`")]
    [InlineData("{{ business_name.GetType }}", "GetType")]
    [InlineData("{{ earlier_calls.GetType.Assembly }}", "GetType")]
    [InlineData("{{ include '/etc/passwd' }}", "`include` was not found")]
    [InlineData("{{ object.eval_template '{{ 1 }}' }}", "eval_template")]
    [InlineData("{{ regex.match 'aaaaaaaaaaaaaaaaaaaaaaaa!' '^(a+)+$' }}", "`regex` was not found")]
    [InlineData("{{ import 'System.IO.File' }}", "import")]
    [InlineData("{{ string.upcase = 'hijacked' }}", "readonly")]
    public async Task AHostileTemplateIsStoppedWithAClearMessageAndTheServiceStaysHealthy(string greeting, string message)
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = Hostile(greeting) }, Ct);

        var error = (await response.AssertValidationProblemAsync())["source"].Single();
        Assert.Contains(message, error);
        var health = await app.CreateClient().GetAsync("/health/live", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var normal = await owner.PostAsJsonAsync("/api/scenarios/preview", new { source = Hostile("{{ 'hello' | string.upcase }}") }, Ct);
        Assert.Equal("HELLO", (await normal.Content.ReadFromJsonAsync<RenderedScenario>(Ct))!.Greeting);
    }

    [Fact]
    public async Task ASourceOverTheLengthLimitIsRefusedBeforeParsing()
    {
        var owner = await app.NewOwnerAsync();

        var response = await owner.PostAsJsonAsync("/api/scenarios/preview",
            new { source = Hostile(new string('x', ScenarioLimits.MaxSourceLength)) }, Ct);

        Assert.Contains("source", (await response.AssertValidationProblemAsync()).Keys);
        Assert.Contains("longer than", Renderer.Compile(Hostile(new string('x', ScenarioLimits.MaxSourceLength))).Error!.Message);
    }

    [Fact]
    public void CompiledScenariosAreCachedByKeyAndATextChangeUnderTheSameKeyIsRecompiled()
    {
        var key = $"test:{Guid.NewGuid()}";

        var first = Renderer.GetOrCompile(key, Hostile("one"));
        var again = Renderer.GetOrCompile(key, Hostile("one"));
        var changed = Renderer.GetOrCompile(key, Hostile("two"));

        Assert.Same(first.Value, again.Value);
        Assert.NotSame(first.Value, changed.Value);
        Assert.Equal("two", Renderer.Render(key, Hostile("two"), Variables(ScenarioLanguages.Russian), Ct).Value!.Greeting);
    }

    [Fact]
    public void ARenderLeavesNothingBehindForTheNextOne()
    {
        var source = Hostile("{{ business_name = 'Hijacked' }}{{ string.extra = 1 }}");
        var key = $"test:{Guid.NewGuid()}";

        Assert.Contains("readonly", Renderer.Render(key, source, Variables(ScenarioLanguages.Russian), Ct).Error!.Message);
        var next = Renderer.Render(key, Hostile("{{ business_name }} {{ string.extra ?? 'clean' }}"), Variables(ScenarioLanguages.Russian), Ct);

        Assert.False(next.Succeeded, "string.extra must not exist for the next render");
        Assert.Equal("Acme", Renderer.Render($"test:{Guid.NewGuid()}", Hostile("{{ business_name }}"), Variables(ScenarioLanguages.Russian), Ct).Value!.Greeting);
    }

    [Fact]
    public void ALanguageWithoutItsOwnSectionFallsBackToTheUntaggedOne()
    {
        var source = "## greeting\nЗдравствуйте\n## greeting (en)\nHello\n## script\nОдин для всех\n## outcomes\nspam\n## outcomes (en)\nspam — Spam";
        var compiled = Renderer.Compile(source).Value!;

        var english = Renderer.Render(compiled, Variables(ScenarioLanguages.English), Ct).Value!;
        var russian = Renderer.Render(compiled, Variables(ScenarioLanguages.Russian), Ct).Value!;

        Assert.Equal(("Hello", "Один для всех", "Spam"), (english.Greeting, english.Script, english.Outcomes.Single().Label));
        Assert.Equal(("Здравствуйте", "Один для всех", "spam"), (russian.Greeting, russian.Script, russian.Outcomes.Single().Label));
    }

    [Fact]
    public void GoodDayFollowsTheBusinessesLocalHour()
    {
        var compiled = Renderer.Compile(Hostile("{{ good_day }} at {{ local_time }}")).Value!;

        string At(int hour, string language) =>
            Renderer.Render(compiled, Variables(language) with { LocalTime = new DateTimeOffset(2026, 11, 25, hour, 5, 0, TimeSpan.FromHours(3)) }, Ct).Value!.Greeting;

        Assert.Equal("Доброе утро at 09:05", At(9, ScenarioLanguages.Russian));
        Assert.Equal("Good afternoon at 14:05", At(14, ScenarioLanguages.English));
        Assert.Equal("Добрый вечер at 21:05", At(21, ScenarioLanguages.Russian));
    }

    static ScenarioVariables Variables(string language) =>
        new("Acme", "+79160000000", true, "09:00–18:00", new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.FromHours(3)), language, [], "Olga");

    sealed class FieldComparer : IEqualityComparer<ScenarioField>
    {
        public static readonly FieldComparer Instance = new();
        public bool Equals(ScenarioField? x, ScenarioField? y) =>
            x is not null && y is not null && x with { Choices = null } == y with { Choices = null }
            && (x.Choices ?? []).SequenceEqual(y.Choices ?? []);
        public int GetHashCode(ScenarioField field) => field.Name.GetHashCode();
    }
}
