using System.Globalization;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Receptionist.Infrastructure;
using Scriban;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Receptionist.Features.Scenarios;

/// <summary>
/// Compiles and renders scenarios in a sandbox. Owner templates are untrusted: they see only the variables
/// built here from plain values, no .NET member, no include, no file, and every render is bounded in loop
/// iterations, recursion, string and output length, and time (<see cref="ScenarioLimits"/>).
/// A singleton; safe to call from many threads.
/// </summary>
public sealed class ScenarioRenderer : IDisposable
{
    static readonly ScriptObject Builtins = SandboxBuiltins();

    readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = ScenarioLimits.CachedTemplates });

    /// <summary>Parses and checks a scenario document, uncached (for saving or previewing a new text).</summary>
    public Result<ScenarioTemplate, ScenarioError> Compile(string source) => ScenarioParser.Parse(source);

    /// <summary>
    /// The compiled form of <paramref name="source"/>, cached under <paramref name="cacheKey"/> (say, a stored
    /// version's id). A key seen again with a different text compiles that text, so a stale entry is never used.
    /// </summary>
    public Result<ScenarioTemplate, ScenarioError> GetOrCompile(string cacheKey, string source)
    {
        if (cache.TryGetValue(cacheKey, out (string Source, ScenarioTemplate Template) entry) && entry.Source == source)
            return entry.Template;
        var compiled = Compile(source);
        if (compiled.Succeeded)
            cache.Set(cacheKey, (source, compiled.Value), new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });
        return compiled;
    }

    /// <summary>Compiles (through the cache) and renders in one call: what the console needs for a call.</summary>
    public Result<RenderedScenario, ScenarioError> Render(string cacheKey, string source, ScenarioVariables variables, CancellationToken ct = default)
    {
        var compiled = GetOrCompile(cacheKey, source);
        return compiled.Succeeded ? Render(compiled.Value, variables, ct) : compiled.Error;
    }

    /// <summary>
    /// Renders the greeting and script for <see cref="ScenarioVariables.Language"/> and picks that language's
    /// fields and outcomes. A template that breaks a bound gets an error naming the bound and where it broke.
    /// </summary>
    public Result<RenderedScenario, ScenarioError> Render(ScenarioTemplate template, ScenarioVariables variables, CancellationToken ct = default)
    {
        var culture = CultureInfo.GetCultureInfo(variables.Language);
        var model = Model(variables, culture);
        // One budget of wall-clock time for both parts: a bound on work, so deliberately not the business clock.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(ScenarioLimits.RenderTimeout);
        var greeting = RenderPart(template.Greetings.For(variables.Language)!, model, culture, deadline.Token, ct);
        if (!greeting.Succeeded)
            return greeting.Error;
        var script = RenderPart(template.Scripts.For(variables.Language)!, model, culture, deadline.Token, ct);
        if (!script.Succeeded)
            return script.Error;
        return new RenderedScenario(
            template.Title(variables.Language),
            greeting.Value,
            script.Value,
            template.Fields.For(variables.Language) ?? [],
            template.Outcomes.For(variables.Language)!);
    }

    static Result<string, ScenarioError> RenderPart(ScriptPart part, ScriptObject model, CultureInfo culture, CancellationToken deadline, CancellationToken ct)
    {
        var context = new TemplateContext(Builtins)
        {
            LoopLimit = ScenarioLimits.LoopIterations,
            RecursiveLimit = ScenarioLimits.RecursionDepth,
            LimitToString = ScenarioLimits.MaxStringLength,
            OnStringLimit = ScriptLimitBehavior.Throw,
            OutputLimit = ScenarioLimits.MaxOutputLength,
            OnOutputLimit = ScriptLimitBehavior.Throw,
            CancellationToken = deadline,
            // A misspelt variable or member is an error the preview shows, not silently empty text.
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            // earlier_calls[0].summary with no earlier calls reads as empty rather than failing a live call.
            EnableRelaxedTargetAccess = true,
            // The model holds ScriptObjects and plain values only; this also hides any .NET member that slips in.
            MemberFilter = _ => false,
            TemplateLoader = null,
        };
        context.PushCulture(culture);
        context.PushGlobal(model);
        try
        {
            return Tidy(part.Template.Render(context));
        }
        catch (ScriptAbortException)
        {
            ct.ThrowIfCancellationRequested();
            return new ScenarioError($"The template took longer than {ScenarioLimits.RenderTimeout.TotalMilliseconds:0} ms to render.");
        }
        catch (ScriptRuntimeException e)
        {
            return new ScenarioError(e.OriginalMessage, part.FirstLine + e.Span.Start.Line + 1, e.Span.Start.Column + 1);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // Owner text must never turn into a server error, whatever corner of Scriban it reaches.
            return new ScenarioError($"The template failed: {e.Message}");
        }
    }

    static ScriptObject Model(ScenarioVariables v, CultureInfo culture)
    {
        var calls = new ScriptArray();
        foreach (var call in v.EarlierCalls)
            calls.Add(new ScriptObject
            {
                ["time"] = call.At.ToString("g", culture),
                ["outcome"] = call.Outcome,
                ["summary"] = call.Summary ?? "",
            });
        return new ScriptObject
        {
            ["business_name"] = v.BusinessName,
            ["caller_number"] = v.CallerNumber ?? "",
            ["is_open_now"] = v.IsOpenNow,
            ["hours_today"] = v.HoursToday ?? "",
            ["local_time"] = v.LocalTime.ToString("HH:mm", culture),
            ["local_hour"] = v.LocalTime.Hour,
            ["local_date"] = v.LocalTime.ToString("d", culture),
            ["local_weekday"] = culture.DateTimeFormat.GetDayName(v.LocalTime.DayOfWeek),
            ["good_day"] = GoodDay(v.LocalTime.Hour, culture),
            ["language"] = v.Language,
            ["earlier_calls"] = calls,
            ["operator_name"] = v.OperatorFirstName ?? "",
        };
    }

    /// <summary>The salutation for the hour, so a greeting can start with "Добрый день" without its own if/else.</summary>
    static string GoodDay(int hour, CultureInfo culture) => (culture.TwoLetterISOLanguageName, hour) switch
    {
        ("ru", >= 5 and < 12) => "Доброе утро",
        ("ru", >= 12 and < 18) => "Добрый день",
        ("ru", _) => "Добрый вечер",
        (_, >= 5 and < 12) => "Good morning",
        (_, >= 12 and < 18) => "Good afternoon",
        _ => "Good evening",
    };

    /// <summary>Trims trailing spaces and collapses the runs of blank lines that {{ if }} lines leave behind.</summary>
    static string Tidy(string text)
    {
        var result = new StringBuilder(text.Length);
        var blank = false;
        foreach (var line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Length == 0)
            {
                blank = result.Length > 0;
                continue;
            }
            if (blank)
                result.Append('\n');
            if (result.Length > 0)
                result.Append('\n');
            result.Append(trimmed);
            blank = false;
        }
        return result.ToString();
    }

    /// <summary>Scriban's built-in functions minus every door out, frozen so no render can change them for the next.</summary>
    static ScriptObject SandboxBuiltins()
    {
        var builtins = TemplateContext.GetDefaultBuiltinObject();
        builtins.Remove("include");
        builtins.Remove("include_join");
        // Regular expressions are the one builtin whose cost the other bounds do not cap.
        builtins.Remove("regex");
        var objects = (ScriptObject)builtins["object"]!;
        objects.Remove("eval");
        objects.Remove("eval_template");
        // The server's clock is not the business's: templates use local_time.
        // Products and powers of BigIntegers grow without bound in one call (see ScenarioBounds).
        var math = (ScriptObject)builtins["math"]!;
        math.Remove("times");
        math.Remove("pow");
        var dates = (ScriptObject)builtins["date"]!;
        dates.Remove("now");
        dates.Remove("utc_now");
        foreach (var name in builtins.Keys)
            if (builtins[name] is ScriptObject functions)
                functions.IsReadOnly = true;
        builtins.IsReadOnly = true;
        return builtins;
    }

    public void Dispose() => cache.Dispose();
}
