using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Scenarios;

/// <summary>Either a built-in's key or the owner's own text.</summary>
public sealed record ChooseScenarioRequest(
    [property: MaxLength(64)] string? BuiltIn = null,
    [property: MaxLength(ScenarioLimits.MaxSourceLength)] string? Source = null);

public sealed record ScenarioVersionResponse(Guid Id, int Number, string? BuiltIn, string Source, DateTimeOffset CreatedAt);

/// <param name="Preview">What the operator would read with this built-in on this business; null only when rendering ran
/// out of its time budget (a busy machine), never for a broken built-in (those stop the start).</param>
public sealed record BuiltInScenarioPreview(string Key, string Title, string Description, string Source, RenderedScenario? Preview);

public static class BusinessScenarioEndpoints
{
    public static IEndpointRouteBuilder MapBusinessScenario(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/scenario").WithTags("Scenarios").RequireAuthorization(Policies.Owner);
        owner.MapPut("/", ChooseScenario).WithName(nameof(ChooseScenario)).RequireRateLimiting(Throttling.TemplatesPolicy)
            .WithSummary("Save a new scenario version (a built-in or the owner's own text) and make it current");
        owner.MapGet("/", GetScenario).WithName(nameof(GetScenario)).WithSummary("The business's current scenario version");
        owner.MapGet("/built-ins", PreviewBuiltInScenarios).WithName(nameof(PreviewBuiltInScenarios))
            .WithSummary("Every built-in scenario in the business's language, rendered on the business itself, to compare side by side");
        return app;
    }

    // Our own templates, compiled once at start: no throttle, unlike previews of owner-written text.
    static async Task<Results<Ok<IReadOnlyList<BuiltInScenarioPreview>>, NotFound>> PreviewBuiltInScenarios(
        Guid id, AppDbContext db, CurrentUser owner, BuiltInScenarios builtIns, ScenarioRenderer renderer, TimeProvider time,
        CancellationToken ct)
    {
        var business = await db.OwnedBy(owner).FirstOrDefaultAsync(b => b.Id == id, ct);
        if (business is null)
            return TypedResults.NotFound();
        var variables = ScenarioEndpoints.OwnBusinessVariables(business, time);
        return TypedResults.Ok<IReadOnlyList<BuiltInScenarioPreview>>([.. builtIns.List(business.Language).Select(s =>
        {
            var rendered = renderer.Render(BuiltInScenarios.CacheKey(s.Key), s.Source, variables, ct);
            return new BuiltInScenarioPreview(s.Key, s.Title, s.Description, s.Source, rendered.Succeeded ? rendered.Value : null);
        })]);
    }

    static async Task<Results<Ok<ScenarioVersionResponse>, NotFound, ValidationProblem>> ChooseScenario(
        Guid id, ChooseScenarioRequest request, AppDbContext db, CurrentUser owner, BuiltInScenarios builtIns,
        ScenarioRenderer renderer, OwnerEmails ownerEmails, TimeProvider clock, CancellationToken ct)
    {
        var business = await db.OwnedBy(owner).FirstOrDefaultAsync(b => b.Id == id, ct);
        if (business is null)
            return TypedResults.NotFound();

        string source;
        if (request is { BuiltIn: { } key, Source: null })
        {
            var builtIn = builtIns.Find(key, business.Language);
            if (builtIn is null)
                return Invalid("builtIn", $"No built-in scenario '{key}'.");
            source = builtIn.Source;
        }
        else if (request is { BuiltIn: null, Source: { } text })
        {
            var compiled = renderer.Compile(text);
            if (!compiled.Succeeded)
                return SourceInvalid(compiled.Error);
            // A template that parses but cannot render would first fail during a live call: every language is
            // rendered once against a sample business now, and a failure is refused with its line and column.
            foreach (var language in ScenarioLanguages.Supported)
                if (renderer.Render(compiled.Value, ScenarioVariables.Sample(language, clock.GetUtcNow()), ct) is { Succeeded: false } failed)
                    return SourceInvalid(failed.Error with { Message = $"{failed.Error.Message} (rendering for {language})" });
            source = text;
        }
        else
            return Invalid("builtIn", "Give exactly one of builtIn or source.");

        var number = await db.Set<ScenarioVersion>().Where(v => v.BusinessId == id).MaxAsync(v => (int?)v.Number, ct) ?? 0;
        var version = new ScenarioVersion
        {
            BusinessId = id, Number = number + 1, BuiltInKey = request.BuiltIn, Source = source, CreatedAt = clock.GetUtcNow(),
        };
        db.Add(version);
        business.ScenarioVersionId = version.Id;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await db.SaveChangesAsync(ct);
            // A scenario may be the last step of the checklist: the owner hears they are live.
            await ownerEmails.AnnounceIfLiveAsync(db, id, clock.GetUtcNow(), ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Invalid("source", "Another save of this scenario happened at the same moment; try again.");
        }
        return TypedResults.Ok(ToResponse(version));
    }

    static ValidationProblem SourceInvalid(ScenarioError error) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { ["source"] = [error.ToString()] },
        extensions: new Dictionary<string, object?> { ["line"] = error.Line, ["column"] = error.Column });

    static async Task<Results<Ok<ScenarioVersionResponse>, NotFound>> GetScenario(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var version = await db.OwnedBy(owner).Where(b => b.Id == id)
            .Join(db.Set<ScenarioVersion>(), b => b.ScenarioVersionId, v => v.Id, (b, v) => v)
            .FirstOrDefaultAsync(ct);
        return version is null ? TypedResults.NotFound() : TypedResults.Ok(ToResponse(version));
    }

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    static ScenarioVersionResponse ToResponse(ScenarioVersion v) => new(v.Id, v.Number, v.BuiltInKey, v.Source, v.CreatedAt);
}
