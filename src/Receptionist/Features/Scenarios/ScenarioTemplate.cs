using Scriban;

namespace Receptionist.Features.Scenarios;

/// <summary>A parsed and checked scenario document; immutable, so one instance serves every render.</summary>
public sealed class ScenarioTemplate
{
    internal ScenarioTemplate(
        Localized<string> titles,
        Localized<string> descriptions,
        Localized<ScriptPart> greetings,
        Localized<ScriptPart> scripts,
        Localized<IReadOnlyList<ScenarioField>> fields,
        Localized<IReadOnlyList<ScenarioOutcome>> outcomes)
    {
        Titles = titles;
        Descriptions = descriptions;
        Greetings = greetings;
        Scripts = scripts;
        Fields = fields;
        Outcomes = outcomes;
    }

    internal Localized<string> Titles { get; }
    internal Localized<string> Descriptions { get; }
    internal Localized<ScriptPart> Greetings { get; }
    internal Localized<ScriptPart> Scripts { get; }
    internal Localized<IReadOnlyList<ScenarioField>> Fields { get; }
    internal Localized<IReadOnlyList<ScenarioOutcome>> Outcomes { get; }

    public string? Title(string language) => Titles.For(language);
    public string? Description(string language) => Descriptions.For(language);
}

/// <summary>A Scriban part of the document and the file line its text starts on (0-based), to report errors where the owner wrote them.</summary>
internal sealed record ScriptPart(Template Template, int FirstLine);

/// <summary>
/// The variants of one part by language tag ("en" or "en-US"). A variant without a tag serves every language
/// that has none of its own; when there is no such variant, the first one in the file does.
/// </summary>
internal sealed class Localized<T>(IReadOnlyList<(string? Language, T Value)> variants) where T : class
{
    public IReadOnlyList<(string? Language, T Value)> Variants => variants;

    public T? For(string language)
    {
        var neutral = language.Split('-')[0];
        return Find(tag => string.Equals(tag, language, StringComparison.OrdinalIgnoreCase))
            ?? Find(tag => string.Equals(tag, neutral, StringComparison.OrdinalIgnoreCase))
            ?? Find(tag => tag is null)
            ?? (variants.Count > 0 ? variants[0].Value : null);
    }

    T? Find(Func<string?, bool> matches) => variants.FirstOrDefault(v => matches(v.Language)).Value;
}
