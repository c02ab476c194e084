using System.Collections.Concurrent;
using Scriban;
using Scriban.Runtime;

namespace Receptionist.Features.Email;

/// <summary>The parts of an email a template produced.</summary>
public sealed record RenderedEmail(string Subject, string TextBody, string? HtmlBody);

/// <summary>
/// Renders our own (trusted) Scriban email templates from templates/emails beside the binary:
/// <c>NAME.subject.sbn-txt</c>, <c>NAME.sbn-txt</c> (plain text) and, optionally, <c>NAME.sbn-html</c>.
/// The model's members appear in snake_case (<c>BusinessName</c> → <c>business_name</c>); an unknown
/// variable is an error rather than an empty string. HTML templates escape values themselves (<c>| html.escape</c>).
/// </summary>
public sealed class EmailTemplates
{
    readonly string directory = Path.Combine(AppContext.BaseDirectory, "templates", "emails");
    readonly ConcurrentDictionary<string, Template?> parsed = new();

    public RenderedEmail Render(string templateName, object model)
    {
        var subject = Render(Load($"{templateName}.subject.sbn-txt", required: true)!, model);
        return new RenderedEmail(
            // A subject is one line, however the template is laid out.
            string.Join(' ', subject.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)),
            Render(Load($"{templateName}.sbn-txt", required: true)!, model),
            Load($"{templateName}.sbn-html", required: false) is { } html ? Render(html, model) : null);
    }

    static string Render(Template template, object model)
    {
        var globals = new ScriptObject();
        globals.Import(model);
        var context = new TemplateContext { StrictVariables = true };
        context.PushGlobal(globals);
        return template.Render(context);
    }

    Template? Load(string fileName, bool required) => parsed.GetOrAdd(fileName, _ =>
    {
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
            return required ? throw new FileNotFoundException($"Email template {fileName} is missing from {directory}.", path) : null;
        var template = Template.Parse(File.ReadAllText(path), path);
        return template.HasErrors
            ? throw new InvalidOperationException($"Email template {fileName} does not parse: {string.Join("; ", template.Messages)}")
            : template;
    });
}
