namespace Receptionist.Features.Scenarios;

/// <summary>The languages scenarios (and businesses) speak; ru-RU is the default.</summary>
public static class ScenarioLanguages
{
    public const string Russian = "ru-RU";
    public const string English = "en-US";
    public const string Default = Russian;
    public static readonly IReadOnlyList<string> Supported = [Russian, English];
}

/// <summary>What a template may see, and nothing more. Times are already in the business's timezone.</summary>
public sealed record ScenarioVariables(
    string BusinessName,
    string? CallerNumber,
    bool IsOpenNow,
    string? HoursToday,
    DateTimeOffset LocalTime,
    string Language,
    IReadOnlyList<EarlierCall> EarlierCalls,
    string? OperatorFirstName)
{
    /// <summary>The data a preview renders with: a flower shop, open, with a returning caller.</summary>
    public static ScenarioVariables Sample(string language, DateTimeOffset localTime) => language == ScenarioLanguages.English
        ? new("Daisy Flower Shop", "+79161234567", true, "09:00–20:00", localTime, language,
            [
                new(localTime.AddDays(-3), "Message taken", "Asked whether white roses are in stock; call back after 5 pm."),
                new(localTime.AddDays(-20), "Resolved", "Ordered a bouquet for delivery."),
            ], "Anna")
        : new("Цветочная лавка «Ромашка»", "+79161234567", true, "09:00–20:00", localTime, language,
            [
                new(localTime.AddDays(-3), "Сообщение принято", "Спрашивала, есть ли белые розы; перезвонить после 17:00."),
                new(localTime.AddDays(-20), "Вопрос решён", "Заказала букет с доставкой."),
            ], "Анна");
}

/// <summary>What templates see for a real business at <c>now</c>: its name, hours today and "now" in its own time zone.</summary>
public static class BusinessScenarioVariables
{
    public static ScenarioVariables For(Businesses.Business business, DateTimeOffset now, string? callerNumber,
        Func<TimeSpan, IReadOnlyList<EarlierCall>> earlierCalls, string? operatorFirstName)
    {
        var local = new DateTimeOffset(business.LocalTime(now), TimeZoneInfo.FindSystemTimeZoneById(business.TimeZone).GetUtcOffset(now));
        return new ScenarioVariables(business.Name, callerNumber, business.IsOpenAt(now),
            business.Hours.Describe(DateOnly.FromDateTime(local.DateTime)), local, business.Language, earlierCalls(local.Offset), operatorFirstName);
    }
}

/// <summary>One earlier call from the same number, newest first in <see cref="ScenarioVariables.EarlierCalls"/>.</summary>
public sealed record EarlierCall(DateTimeOffset At, string Outcome, string? Summary);

/// <summary>A scenario ready for the operator: what to say, what to ask, what to note, how it may end.</summary>
public sealed record RenderedScenario(
    string? Title,
    string Greeting,
    string Script,
    IReadOnlyList<ScenarioField> Fields,
    IReadOnlyList<ScenarioOutcome> Outcomes);

public sealed record ScenarioField(string Name, string Label, string Type, bool Required, IReadOnlyList<string>? Choices);

public sealed record ScenarioOutcome(string Key, string Label);

/// <summary>Why a scenario cannot be used; Line and Column (1-based) point into the scenario text when known.</summary>
public sealed record ScenarioError(string Message, int? Line = null, int? Column = null)
{
    public override string ToString() => (Line, Column) switch
    {
        (int line, int column) => $"Line {line}, column {column}: {Message}",
        (int line, null) => $"Line {line}: {Message}",
        _ => Message,
    };
}

/// <summary>The kinds of value a field captures, as written in a scenario's fields section.</summary>
public static class ScenarioFieldTypes
{
    public const string Text = "text";
    public const string LongText = "longtext";
    public const string Phone = "phone";
    public const string Email = "email";
    public const string Number = "number";
    public const string DateTime = "datetime";
    public const string Choice = "choice";
    public static readonly IReadOnlyList<string> All = [Text, LongText, Phone, Email, Number, DateTime, Choice];
}

/// <summary>The bounds every owner template runs within.</summary>
public static class ScenarioLimits
{
    public const int MaxSourceLength = 20_000;
    public const int ParseDepth = 64;
    public const int LoopIterations = 1_000;
    public const int RecursionDepth = 16;
    public const int MaxStringLength = 10_000;
    public const int MaxOutputLength = 10_000;
    // Generous for a render that takes well under a millisecond, and still a hard stop for one built to spin.
    public static readonly TimeSpan RenderTimeout = TimeSpan.FromSeconds(1);
    public const int CachedTemplates = 2_000;
}
