using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Scenarios;

/// <param name="BusinessId">Preview on this business of the owner (its name, hours, language and "now" in its time zone),
/// exactly as an operator will see it; without it, on a sample business.</param>
public sealed record PreviewRequest(
    [property: Required(AllowEmptyStrings = false), MaxLength(ScenarioLimits.MaxSourceLength)] string Source,
    [property: AllowedValues(null, ScenarioLanguages.Russian, ScenarioLanguages.English)] string? Language = null,
    Guid? BusinessId = null);

public static class ScenarioEndpoints
{
    public static IServiceCollection AddScenarios(this IServiceCollection services)
    {
        services.AddSingleton<ScenarioRenderer>();
        services.AddSingleton<BuiltInScenarios>();
        services.AddSingleton<PreviewGate>();
        return services;
    }

    public static IEndpointRouteBuilder MapScenarios(this IEndpointRouteBuilder app)
    {
        // Read and check the built-ins now, so a broken one fails the start, not the first owner.
        app.ServiceProvider.GetRequiredService<BuiltInScenarios>();

        var scenarios = app.MapGroup("/api/scenarios").WithTags("Scenarios").RequireAuthorization(Policies.Owner);
        scenarios.MapGet("/", ListBuiltInScenarios).WithName(nameof(ListBuiltInScenarios))
            .WithSummary("List the built-in scenarios, titled in the given language (ru-RU by default)");
        // Each preview renders owner-written text: throttled per owner (Throttling:TemplatesPerOwner).
        scenarios.MapPost("/preview", PreviewScenario).WithName(nameof(PreviewScenario)).RequireRateLimiting(Throttling.TemplatesPolicy)
            .WithSummary("Render a scenario text with sample data, or say where it is wrong");
        return app;
    }

    static Results<Ok<IReadOnlyList<BuiltInScenario>>, ValidationProblem> ListBuiltInScenarios(
        BuiltInScenarios builtIns, string? language = null)
    {
        language ??= ScenarioLanguages.Default;
        if (!ScenarioLanguages.Supported.Contains(language))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["language"] = [$"Use one of {string.Join(", ", ScenarioLanguages.Supported)}."],
            });
        return TypedResults.Ok(builtIns.List(language));
    }

    static async Task<Results<Ok<RenderedScenario>, ValidationProblem, ProblemHttpResult, NotFound>> PreviewScenario(
        PreviewRequest request, ScenarioRenderer renderer, PreviewGate gate, TimeProvider time, AppDbContext db, CurrentUser owner,
        CancellationToken ct)
    {
        Business? business = null;
        if (request.BusinessId is { } businessId && (business = await db.OwnedBy(owner).FirstOrDefaultAsync(b => b.Id == businessId, ct)) is null)
            return TypedResults.NotFound();
        var compiled = renderer.Compile(request.Source);
        if (!compiled.Succeeded)
            return SourceProblem(compiled.Error);

        using var slot = await gate.EnterAsync(ct);
        if (slot is null)
            return TypedResults.Problem("Too many previews are rendering right now; try again in a moment.",
                statusCode: StatusCodes.Status429TooManyRequests);

        var variables = business is null
            ? ScenarioVariables.Sample(request.Language ?? ScenarioLanguages.Default, TimeZoneInfo.ConvertTime(time.GetUtcNow(), SampleTimeZone))
            : OwnBusinessVariables(business, time);
        var rendered = renderer.Render(compiled.Value, variables, ct);
        return rendered.Succeeded ? TypedResults.Ok(rendered.Value) : SourceProblem(rendered.Error);
    }

    /// <summary>A real business with a sample caller: what the operator will read, name, hours and "now" included.</summary>
    public static ScenarioVariables OwnBusinessVariables(Business business, TimeProvider time)
    {
        var sample = ScenarioVariables.Sample(business.Language, TimeZoneInfo.ConvertTime(time.GetUtcNow(), SampleTimeZone));
        return BusinessScenarioVariables.For(business, time.GetUtcNow(), sample.CallerNumber,
            offset => [.. sample.EarlierCalls.Select(e => e with { At = e.At.ToOffset(offset) })], sample.OperatorFirstName);
    }

    static readonly TimeZoneInfo SampleTimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Moscow");

    /// <summary>A 400 naming the source field, with the line and column also as extensions for editors to jump to.</summary>
    static ValidationProblem SourceProblem(ScenarioError error) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { ["source"] = [error.ToString()] },
            title: "The scenario cannot be used.",
            extensions: new Dictionary<string, object?> { ["line"] = error.Line, ["column"] = error.Column });
}

/// <summary>
/// Previews run owner text that may be built to burn its whole time budget; letting at most half the cores
/// do so at once keeps calls and pages answering for everyone else.
/// </summary>
public sealed class PreviewGate : IDisposable
{
    readonly SemaphoreSlim slots = new(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>A slot to dispose when done, or null when none freed up within two render budgets.</summary>
    public async Task<IDisposable?> EnterAsync(CancellationToken ct) =>
        await slots.WaitAsync(2 * ScenarioLimits.RenderTimeout, ct) ? new Slot(slots) : null;

    sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }

    public void Dispose() => slots.Dispose();
}
