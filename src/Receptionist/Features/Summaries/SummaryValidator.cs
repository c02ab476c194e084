using System.Globalization;
using Receptionist.Features.Businesses;
using Receptionist.Features.Scenarios;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Summaries;

/// <summary>
/// Checks a summary against the scenario the call was answered with: the outcome is one of its outcomes, every
/// required field is filled, each value fits its field's type, and no field is made up. Values come back
/// normalised (phones in E.164, choices as the scenario spells them), in the scenario's field order.
/// </summary>
public static class SummaryValidator
{
    public sealed record ValidSummary(ScenarioOutcome Outcome, Dictionary<string, string> Fields, string? Note);

    public static (ValidSummary? Summary, Dictionary<string, string[]> Errors) Validate(
        SummaryRequest request, IReadOnlyList<ScenarioField> fields, IReadOnlyList<ScenarioOutcome> outcomes)
    {
        var errors = new Dictionary<string, string[]>();
        var outcome = outcomes.FirstOrDefault(o => o.Key == request.Outcome);
        if (outcome is null)
            errors["outcome"] = [$"Must be one of: {string.Join(", ", outcomes.Select(o => o.Key))}."];

        var given = request.Fields ?? [];
        foreach (var unknown in given.Keys.Where(key => fields.All(f => f.Name != key)))
            errors[$"fields.{unknown}"] = ["Not a field of this call's scenario."];

        var values = new Dictionary<string, string>();
        foreach (var field in fields)
        {
            var raw = given.GetValueOrDefault(field.Name)?.Trim();
            if (string.IsNullOrEmpty(raw))
            {
                if (field.Required)
                    errors[$"fields.{field.Name}"] = [$"{field.Label}: required."];
                continue;
            }
            if (Normalise(field, raw) is { } value)
                values[field.Name] = value;
            else
                errors[$"fields.{field.Name}"] = [$"{field.Label}: {Expected(field)}"];
        }

        var note = string.IsNullOrWhiteSpace(request.Note) ? null : request.Note.Trim();
        return errors.Count > 0 ? (null, errors) : (new ValidSummary(outcome!, values, note), errors);
    }

    /// <summary>The value in its stored form, or null when it does not fit the field.</summary>
    static string? Normalise(ScenarioField field, string raw) => field.Type switch
    {
        ScenarioFieldTypes.Phone => E164.TryParse(raw, out var e164) ? e164 : null,
        ScenarioFieldTypes.Email => BusinessValidator.IsEmail(raw) ? raw : null,
        // People type 1,5 as often as 1.5.
        ScenarioFieldTypes.Number => decimal.TryParse(raw.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var number)
            ? number.ToString(CultureInfo.InvariantCulture) : null,
        ScenarioFieldTypes.DateTime => DateTime.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            || DateTime.TryParse(raw, CultureInfo.GetCultureInfo("ru-RU"), DateTimeStyles.None, out at)
            ? at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : null,
        ScenarioFieldTypes.Choice => field.Choices?.FirstOrDefault(c => string.Equals(c, raw, StringComparison.OrdinalIgnoreCase)),
        ScenarioFieldTypes.LongText => raw.Length <= SummaryLimits.LongTextLength ? raw : null,
        _ => raw.Length <= SummaryLimits.TextLength ? raw : null,
    };

    static string Expected(ScenarioField field) => field.Type switch
    {
        ScenarioFieldTypes.Phone => "not a valid phone number.",
        ScenarioFieldTypes.Email => "not a valid email address.",
        ScenarioFieldTypes.Number => "not a number.",
        ScenarioFieldTypes.DateTime => "not a date and time (e.g. 2026-03-05 14:30).",
        ScenarioFieldTypes.Choice => $"must be one of: {string.Join(", ", field.Choices ?? [])}.",
        ScenarioFieldTypes.LongText => $"at most {SummaryLimits.LongTextLength} characters.",
        _ => $"at most {SummaryLimits.TextLength} characters.",
    };
}
