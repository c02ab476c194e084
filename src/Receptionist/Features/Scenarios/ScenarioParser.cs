using System.Text.RegularExpressions;
using Receptionist.Infrastructure;
using Scriban;
using Scriban.Parsing;

namespace Receptionist.Features.Scenarios;

/// <summary>
/// Reads a scenario document: a plain text file an owner can read and write.
/// <code>
/// title: Принять сообщение
/// title (en): Take a message
///
/// ## greeting
/// {{ good_day }}, {{ business_name }}! Меня зовут {{ operator_name }}.
/// ## greeting (en)
/// {{ good_day }}, {{ business_name }}! This is {{ operator_name }}.
/// ## script
/// 1. Узнайте имя звонящего ...
/// ## fields
/// caller_name: text, required — Имя звонящего
/// urgency: choice(обычно | срочно) — Срочность
/// ## outcomes
/// message_taken — Сообщение принято
/// </code>
/// Only greeting and script are Scriban; fields and outcomes are fixed lines, so no variable's value
/// (a caller's words in an earlier summary) can ever add a field or an outcome.
/// </summary>
internal static partial class ScenarioParser
{
    const string Greeting = "greeting", Script = "script", Fields = "fields", Outcomes = "outcomes";
    static readonly string[] SectionNames = [Greeting, Script, Fields, Outcomes];

    static readonly ParserOptions ParserOptions = new() { ExpressionDepthLimit = ScenarioLimits.ParseDepth };

    public static Result<ScenarioTemplate, ScenarioError> Parse(string source)
    {
        if (source.Length > ScenarioLimits.MaxSourceLength)
            return new ScenarioError($"The scenario is longer than {ScenarioLimits.MaxSourceLength} characters.");
        try
        {
            return new Reader(source.ReplaceLineEndings("\n").Split('\n')).Read();
        }
        catch (ScenarioSyntaxException e)
        {
            return e.Error;
        }
        catch (RegexMatchTimeoutException)
        {
            // A line built to make the line patterns backtrack: refused in bounded time instead of parsed for seconds.
            return new ScenarioError("A line of the scenario is too convoluted to read; write fields and outcomes one simple line each.");
        }
    }

    /// <summary>Each line pattern gets this long per line; honest lines take microseconds. A safety net against
    /// pathological input, not a budget: generous enough for a busy machine's scheduling.</summary>
    const int RegexTimeoutMs = 500;

    sealed class ScenarioSyntaxException(ScenarioError error) : Exception(error.Message)
    {
        public ScenarioError Error { get; } = error;
    }

    static ScenarioSyntaxException Fail(int line, string message, int? column = null) => new(new(message, line + 1, column));

    sealed class Reader(string[] lines)
    {
        readonly List<(string?, string)> titles = [], descriptions = [];
        readonly List<(string?, ScriptPart)> greetings = [], scripts = [];
        readonly List<(string?, IReadOnlyList<ScenarioField>)> fields = [];
        readonly List<(string?, IReadOnlyList<ScenarioOutcome>)> outcomes = [];
        readonly HashSet<string> seen = [];

        public ScenarioTemplate Read()
        {
            var line = 0;
            for (; line < lines.Length && !IsSectionHeader(lines[line]); line++)
                ReadHeaderLine(line);
            while (line < lines.Length)
            {
                var end = line + 1;
                while (end < lines.Length && !IsSectionHeader(lines[end]))
                    end++;
                ReadSection(line, end);
                line = end;
            }
            foreach (var (name, variants) in new[] { (Greeting, greetings.Count), (Script, scripts.Count), (Outcomes, outcomes.Count) })
                if (variants == 0)
                    throw new ScenarioSyntaxException(new($"The scenario has no `## {name}` section."));
            return new(new(titles), new(descriptions), new(greetings), new(scripts), new(fields), new(outcomes));
        }

        static bool IsSectionHeader(string line) => line.StartsWith("##", StringComparison.Ordinal);

        void ReadHeaderLine(int line)
        {
            if (string.IsNullOrWhiteSpace(lines[line]))
                return;
            var match = HeaderLine().Match(lines[line].Trim());
            var key = match.Groups["key"].Value.ToLowerInvariant();
            if (!match.Success || key is not ("title" or "description"))
                throw Fail(line, "Before the first `## section` only `title:` and `description:` lines may come.", 1);
            var language = Language(match, line);
            Claim($"{key}({language})", line, $"`{key}` is given twice.");
            (key == "title" ? titles : descriptions).Add((language, match.Groups["value"].Value.Trim()));
        }

        void ReadSection(int header, int end)
        {
            var match = SectionHeader().Match(lines[header].Trim());
            var name = match.Groups["name"].Value.ToLowerInvariant();
            if (!match.Success || !SectionNames.Contains(name))
                throw Fail(header, $"Unknown section `{lines[header].Trim()}`: a scenario has `## greeting`, `## script`, `## fields` and `## outcomes`, each optionally with a language, like `## greeting (en)`.", 1);
            var language = Language(match, header);
            Claim($"{name}({language})", header, $"The section `{lines[header].Trim()}` is given twice.");
            var body = header + 1;
            switch (name)
            {
                case Greeting: greetings.Add((language, ParseScript(body, end))); break;
                case Script: scripts.Add((language, ParseScript(body, end))); break;
                case Fields: fields.Add((language, SameAsFirst(fields, ReadFields(body, end), header, f => $"{f.Name}: {f.Type}{(f.Required ? ", required" : "")}", "fields"))); break;
                default: outcomes.Add((language, SameAsFirst(outcomes, ReadOutcomes(body, end), header, o => o.Key, "outcomes"))); break;
            }
        }

        string? Language(Match match, int line)
        {
            var group = match.Groups["language"];
            if (!group.Success)
                return null;
            if (!LanguageTag().IsMatch(group.Value))
                throw Fail(line, $"`{group.Value}` is not a language: write it like `en` or `en-US`.", group.Index + 1);
            return group.Value;
        }

        void Claim(string what, int line, string message)
        {
            if (!seen.Add(what.ToLowerInvariant()))
                throw Fail(line, message, 1);
        }

        ScriptPart ParseScript(int body, int end)
        {
            var template = Template.Parse(string.Join('\n', lines[body..end]), parserOptions: ParserOptions);
            var error = template.Messages.FirstOrDefault(m => m.Type == ParserMessageType.Error);
            if (error is not null)
                throw Fail(body + error.Span.Start.Line, error.Message, error.Span.Start.Column + 1);
            if (template.Page is { } page && ScenarioBounds.Check(page) is { } refused)
                throw Fail(body + refused.Span.Start.Line, refused.Message, refused.Span.Start.Column + 1);
            return new(template, body);
        }

        List<ScenarioField> ReadFields(int body, int end)
        {
            var result = new List<ScenarioField>();
            foreach (var line in NonBlank(body, end))
            {
                var match = FieldLine().Match(lines[line].Trim());
                var type = match.Groups["type"].Value;
                if (!match.Success || !match.Groups["flags"].Captures.All(f => f.Value is "required" or "optional"))
                    throw Fail(line, "Write a field as `name: type, required — Label`, e.g. `caller_name: text, required — Caller's name`.", 1);
                if (!ScenarioFieldTypes.All.Contains(type))
                    throw Fail(line, $"Unknown field type `{type}`: use one of {string.Join(", ", ScenarioFieldTypes.All)}.", match.Groups["type"].Index + 1);
                var choices = match.Groups["choices"].Success
                    ? match.Groups["choices"].Value.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    : null;
                if ((type == ScenarioFieldTypes.Choice) != (choices is { Length: >= 2 }))
                    throw Fail(line, "A `choice` field lists two or more choices in brackets, like `choice(normal | urgent)`; other types take none.", match.Groups["type"].Index + 1);
                var name = match.Groups["name"].Value;
                if (result.Any(f => f.Name == name))
                    throw Fail(line, $"The field `{name}` is given twice.", 1);
                result.Add(new(name, Label(match, name), type, match.Groups["flags"].Captures.Any(f => f.Value == "required"), choices));
            }
            return result;
        }

        List<ScenarioOutcome> ReadOutcomes(int body, int end)
        {
            var result = new List<ScenarioOutcome>();
            foreach (var line in NonBlank(body, end))
            {
                var match = OutcomeLine().Match(lines[line].Trim());
                if (!match.Success)
                    throw Fail(line, "Write an outcome as `key — Label`, e.g. `message_taken — Message taken`.", 1);
                var key = match.Groups["key"].Value;
                if (result.Any(o => o.Key == key))
                    throw Fail(line, $"The outcome `{key}` is given twice.", 1);
                result.Add(new(key, Label(match, key)));
            }
            if (result.Count == 0)
                throw Fail(body - 1, "List at least one outcome, e.g. `message_taken — Message taken`.");
            return result;
        }

        IEnumerable<int> NonBlank(int body, int end) => Enumerable.Range(body, end - body).Where(l => !string.IsNullOrWhiteSpace(lines[l]));

        static string Label(Match match, string fallback) =>
            match.Groups["label"].Value.Trim() is { Length: > 0 } label ? label : fallback;

        /// <summary>Every language variant captures the same data, so summaries look alike whoever answered.</summary>
        static IReadOnlyList<T> SameAsFirst<T>(List<(string?, IReadOnlyList<T>)> earlier, List<T> variant, int header, Func<T, string> shape, string section)
        {
            if (earlier.Count > 0 && !earlier[0].Item2.Select(shape).SequenceEqual(variant.Select(shape)))
                throw Fail(header, $"Each language's `## {section}` must list the same {section} in the same order, with the same types, as the first one: {string.Join("; ", earlier[0].Item2.Select(shape))}.", 1);
            return variant;
        }
    }

    [GeneratedRegex(@"^(?<key>[A-Za-z]+)\s*(?:\((?<language>[^)]*)\))?\s*:(?<value>.*)$", RegexOptions.None, matchTimeoutMilliseconds: RegexTimeoutMs)]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"^##\s*(?<name>[A-Za-z]+)\s*(?:\((?<language>[^)]*)\))?$", RegexOptions.None, matchTimeoutMilliseconds: RegexTimeoutMs)]
    private static partial Regex SectionHeader();

    [GeneratedRegex(@"^[A-Za-z]{2}(?:-[A-Za-z]{2})?$", RegexOptions.None, matchTimeoutMilliseconds: RegexTimeoutMs)]
    private static partial Regex LanguageTag();

    // name: type(choices), required — Label   (the dash may be —, – or -)
    [GeneratedRegex(@"^(?<name>[a-z][a-z0-9_]*)\s*:\s*(?<type>[a-z]+)\s*(?:\((?<choices>[^)]*)\))?(?:\s*,\s*(?<flags>[a-z]+))*\s*(?:[—–-]\s*(?<label>.*))?$", RegexOptions.None, matchTimeoutMilliseconds: RegexTimeoutMs)]
    private static partial Regex FieldLine();

    [GeneratedRegex(@"^(?<key>[a-z][a-z0-9_]*)\s*(?:[—–-]\s*(?<label>.*))?$", RegexOptions.None, matchTimeoutMilliseconds: RegexTimeoutMs)]
    private static partial Regex OutcomeLine();
}
