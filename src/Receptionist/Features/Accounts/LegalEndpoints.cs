using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Scriban;
using Scriban.Runtime;

namespace Receptionist.Features.Accounts;

public sealed record LegalInfo(string PolicyVersion, string ContactEmail, string OperatorName);

/// <summary>
/// The privacy policy and the terms, published as pages: their texts are templates under templates/legal
/// (<c>privacy.ru.sbn-html</c>, <c>terms.en.sbn-html</c>, …), edited without code changes; Russian unless <c>?lang=en</c>.
/// </summary>
public static class LegalEndpoints
{
    static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "templates", "legal");
    static readonly ConcurrentDictionary<string, Template> Parsed = new();

    public static IEndpointRouteBuilder MapLegal(this IEndpointRouteBuilder app)
    {
        // Public by design: anyone must be able to read what they consent to before signing up.
        var pages = app.MapGroup("").WithTags("Legal").AllowAnonymous();
        pages.MapGet("/privacy", (IOptions<LegalOptions> legal, string? lang) => Page("privacy", lang, legal.Value))
            .WithName("PrivacyPolicy").WithSummary("The personal-data policy (HTML)");
        pages.MapGet("/terms", (IOptions<LegalOptions> legal, string? lang) => Page("terms", lang, legal.Value))
            .WithName("Terms").WithSummary("The terms of service (HTML)");
        pages.MapGet("/api/legal", (IOptions<LegalOptions> legal) =>
                TypedResults.Ok(new LegalInfo(legal.Value.PolicyVersion, legal.Value.ContactEmail, legal.Value.OperatorName)))
            .WithName("GetLegalInfo").WithSummary("The policy version consents refer to, and whom to contact");
        return app;
    }

    static ContentHttpResult Page(string name, string? lang, LegalOptions legal)
    {
        var language = lang == "en" ? "en" : "ru";
        var template = Parsed.GetOrAdd($"{name}.{language}", key =>
        {
            var path = Path.Combine(Directory, $"{key}.sbn-html");
            var parsed = Template.Parse(File.ReadAllText(path), path);
            return parsed.HasErrors ? throw new InvalidOperationException($"{path} does not parse: {string.Join("; ", parsed.Messages)}") : parsed;
        });
        var globals = new ScriptObject();
        globals.Import(new { policy_version = legal.PolicyVersion, contact_email = legal.ContactEmail, operator_name = legal.OperatorName });
        var context = new TemplateContext { StrictVariables = true };
        context.PushGlobal(globals);
        return TypedResults.Content(template.Render(context), "text/html; charset=utf-8");
    }
}
