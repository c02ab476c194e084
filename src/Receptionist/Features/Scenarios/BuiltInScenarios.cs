namespace Receptionist.Features.Scenarios;

/// <summary>A built-in scenario with its title and description in one language; Source is the whole bilingual text.</summary>
public sealed record BuiltInScenario(string Key, string Title, string Description, string Source);

/// <summary>
/// The scenarios shipped under templates/scenarios (one <c>*.sbn-txt</c> file each, its name the key),
/// read and rendered once at start in every language: a broken built-in stops the service rather than a call,
/// and the first call after a deploy does not pay for warming the template engine up.
/// </summary>
public sealed class BuiltInScenarios
{
    public const string FileExtension = ".sbn-txt";

    readonly IReadOnlyList<(string Key, string Source, ScenarioTemplate Template)> scenarios;

    public BuiltInScenarios(ScenarioRenderer renderer, TimeProvider time)
    {
        scenarios = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "templates", "scenarios"), "*" + FileExtension)
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                var key = Path.GetFileName(path)[..^FileExtension.Length];
                var source = File.ReadAllText(path);
                var compiled = renderer.GetOrCompile(CacheKey(key), source);
                if (!compiled.Succeeded)
                    throw new InvalidOperationException($"Built-in scenario {path}: {compiled.Error}");
                foreach (var language in ScenarioLanguages.Supported)
                {
                    if (string.IsNullOrEmpty(compiled.Value.Title(language)) || string.IsNullOrEmpty(compiled.Value.Description(language)))
                        throw new InvalidOperationException($"Built-in scenario {path} needs a title and a description in {language}.");
                    // Tried thrice: the first render at start pays for the engine's warm-up, and on a busy machine
                    // that alone can pass the render budget. A broken built-in fails every time.
                    var rendered = renderer.Render(compiled.Value, ScenarioVariables.Sample(language, time.GetLocalNow()));
                    for (var retry = 0; retry < 2 && !rendered.Succeeded; retry++)
                        rendered = renderer.Render(compiled.Value, ScenarioVariables.Sample(language, time.GetLocalNow()));
                    if (!rendered.Succeeded)
                        throw new InvalidOperationException($"Built-in scenario {path} fails to render in {language}: {rendered.Error}");
                }
                return (key, source, compiled.Value);
            })
            .ToList();
    }

    /// <summary>The cache key the renderer knows a built-in by, for <see cref="ScenarioRenderer.Render(string, string, ScenarioVariables, CancellationToken)"/>.</summary>
    public static string CacheKey(string key) => $"builtin:{key}";

    public IReadOnlyList<BuiltInScenario> List(string language) =>
        [.. scenarios.Select(s => Describe(s, language))];

    public BuiltInScenario? Find(string key, string language) =>
        scenarios.Where(s => s.Key == key).Select(s => Describe(s, language)).FirstOrDefault();

    static BuiltInScenario Describe((string Key, string Source, ScenarioTemplate Template) scenario, string language) =>
        new(scenario.Key, scenario.Template.Title(language)!, scenario.Template.Description(language)!, scenario.Source);
}
