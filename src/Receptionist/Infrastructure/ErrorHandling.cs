namespace Receptionist.Infrastructure;

public static class ErrorHandling
{
    /// <summary>Every error, thrown or returned, leaves as RFC 9457 problem details.</summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
            if (context.ProblemDetails is HttpValidationProblemDetails validation)
                CamelCaseFieldNames(validation.Errors);
            ProblemLocalization.Localize(context.ProblemDetails);
        });
        services.AddValidation();
        services.AddProblemLocalization();
        return services;
    }

    /// <summary>
    /// DataAnnotations validation names fields as the C# properties ("Email"); clients send and read the
    /// JSON names ("email", "hours[0].day"), so every field error is keyed that way.
    /// </summary>
    static void CamelCaseFieldNames(IDictionary<string, string[]> errors)
    {
        foreach (var key in errors.Keys.Where(k => k.Length > 0 && char.IsUpper(k[0])).ToList())
        {
            var camel = string.Join('.', key.Split('.').Select(part => part.Length == 0 ? part : char.ToLowerInvariant(part[0]) + part[1..]));
            errors[camel] = errors.TryGetValue(camel, out var existing) ? [.. existing, .. errors[key]] : errors[key];
            errors.Remove(key);
        }
    }

    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        // First, so that every problem, thrown or returned, speaks the request's language.
        app.UseRequestLocalization();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
