using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Receptionist.Features.Accounts;
using Receptionist.Features.Billing;

namespace Receptionist.Features.FrontDoor;

/// <summary>
/// The front door at <c>/</c>: <c>wwwroot/front.html</c> with the plan table already filled from the catalogue billing
/// uses, so the prices are in the page itself (for search engines, link previews and anyone without scripts); the
/// page's script redraws it in the visitor's language. The contact and the operator's name come from <c>Legal</c>.
/// </summary>
public static class FrontDoorEndpoints
{
    const string PlansPlaceholder = "<tbody id=\"plans\"></tbody>";
    const string ContactPlaceholder = "<a id=\"contact-email\"></a>";
    const string OperatorPlaceholder = "<span id=\"operator-name\"></span>";
    static readonly CultureInfo Russian = new("ru-RU");

    public static IEndpointRouteBuilder MapFrontDoor(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", FrontDoor).WithName(nameof(FrontDoor)).WithTags("Front door").AllowAnonymous()
            .WithSummary("The offer, how it works, the plans, the FAQ and the contact (HTML)");
        return app;
    }

    static async Task<IResult> FrontDoor(IWebHostEnvironment environment, IOptions<BillingOptions> billing, IOptions<LegalOptions> legal,
        CancellationToken ct)
    {
        var file = environment.WebRootFileProvider.GetFileInfo("front.html");
        await using var stream = file.CreateReadStream();
        var page = await new StreamReader(stream).ReadToEndAsync(ct);
        var rows = string.Concat(billing.Value.Catalogue.Select(p =>
            $"<tr data-plan=\"{WebUtility.HtmlEncode(p.Key)}\"><td>{WebUtility.HtmlEncode(p.Plan.Name)}</td>" +
            $"<td>{Rubles(p.Plan.PriceRub)}</td><td>{p.Plan.IncludedCalls}</td><td>{Rubles(p.Plan.OverageRub)} за звонок</td></tr>"));
        var contact = WebUtility.HtmlEncode(legal.Value.ContactEmail);
        return Results.Content(page
                .Replace(PlansPlaceholder, $"<tbody id=\"plans\">{rows}</tbody>", StringComparison.Ordinal)
                .Replace(ContactPlaceholder, $"<a id=\"contact-email\" href=\"mailto:{contact}\">{contact}</a>", StringComparison.Ordinal)
                .Replace(OperatorPlaceholder, $"<span id=\"operator-name\">{WebUtility.HtmlEncode(legal.Value.OperatorName)}</span>", StringComparison.Ordinal),
            "text/html; charset=utf-8");
    }

    static string Rubles(int amount) => WebUtility.HtmlEncode(amount.ToString("#,0", Russian) + " ₽");
}
