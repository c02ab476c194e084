using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace Receptionist.Infrastructure;

/// <summary>
/// Problem details in the request's language (ASP.NET Core request localization from <c>Accept-Language</c>: Russian or
/// English; English when the request names neither), each field error with a stable code beside it
/// (<c>"errorCodes": {"password": ["passwordTooShort"]}</c>) and each known problem with its <c>code</c>. Only the UI
/// culture follows the request: number and date formats of the API's own output (CSV, JSON) never change with it.
/// </summary>
public static class ProblemLocalization
{
    static readonly CultureInfo[] Languages = [new("en"), new("ru")];

    public static IServiceCollection AddProblemLocalization(this IServiceCollection services) =>
        services.Configure<RequestLocalizationOptions>(options =>
        {
            options.DefaultRequestCulture = new RequestCulture(CultureInfo.InvariantCulture, Languages[0]);
            options.SupportedCultures = [CultureInfo.InvariantCulture];
            options.SupportedUICultures = Languages;
            options.FallBackToParentUICultures = true;
            options.RequestCultureProviders = [new AcceptLanguageHeaderRequestCultureProvider()];
        });

    public static bool IsRussian => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "ru";

    /// <summary>Adds the codes and, for a Russian request, puts every text into Russian.</summary>
    public static void Localize(Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        var russian = IsRussian;
        if (problem is HttpValidationProblemDetails validation)
        {
            var codes = new Dictionary<string, string[]>();
            foreach (var (field, messages) in validation.Errors.ToList())
            {
                var found = messages.Select(m => ProblemTexts.Find(ProblemTexts.FieldErrors, m)).ToList();
                codes[field] = [.. found.Select(f => f?.Code ?? ProblemTexts.GenericCode)];
                if (russian)
                    validation.Errors[field] = [.. found.Select(f => f is { } hit ? hit.Text.RussianFor(hit.Match) : ProblemTexts.GenericFieldRussian)];
            }
            problem.Extensions["errorCodes"] = codes;
        }

        var title = problem.Title is { } t ? ProblemTexts.Find(ProblemTexts.Problems, t) : null;
        var detail = problem.Detail is { } d ? ProblemTexts.Find(ProblemTexts.Problems, d) : null;
        if ((detail ?? title) is { } known)
            problem.Extensions.TryAdd("code", known.Code);
        if (!russian)
            return;
        problem.Title = title is { } hit ? hit.Text.RussianFor(hit.Match) : ProblemTexts.RussianTitle(problem.Status);
        problem.Detail = detail is { } found2 ? found2.Text.RussianFor(found2.Match) : null;
    }
}
