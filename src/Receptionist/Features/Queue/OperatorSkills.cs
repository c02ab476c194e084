using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Queue;

/// <param name="Languages">The languages the operator answers in, e.g. ["ru-RU", "en-US"].</param>
/// <param name="TrainedBusinessIds">Businesses the operator was trained for; null leaves them as they are.</param>
public sealed record OperatorSkillsRequest(
    [property: Required, MaxLength(OperatorSkills.MaxLanguages), LanguageTags] string[] Languages,
    [property: MaxLength(OperatorSkills.MaxTrainedBusinesses)] Guid[]? TrainedBusinessIds = null);

public sealed record OperatorSkillsResponse(Guid Id, string[] Languages, Guid[] TrainedBusinessIds);

/// <summary>Each element a language and region such as ru-RU: checked with the request's shape, so a bad element is
/// named even when other fields are wrong too.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LanguageTagsAttribute : ValidationAttribute
{
    public LanguageTagsAttribute() : base("Each language must be a language and region such as ru-RU or en-US.") { }

    public override bool IsValid(object? value) => value is not string[] tags || OperatorSkills.Validate(tags).Count == 0;
}

/// <summary>
/// What routing knows of an operator besides their state: the languages they answer in and the businesses they were
/// trained for (kept on the operator's presence row, which the offer statement locks anyway).
/// </summary>
public static partial class OperatorSkills
{
    public const int MaxLanguages = 10;
    public const int MaxTrainedBusinesses = 200;

    public static IEndpointRouteBuilder MapOperatorSkills(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/staff").WithTags("Admin").RequireAuthorization(Policies.Admin);
        admin.MapPut("/{id:guid}", SetSkills).WithName(nameof(SetSkills))
            .WithSummary("Set an operator's languages and the businesses they were trained for");
        return app;
    }

    /// <summary>Field errors for a list of languages (named <paramref name="field"/>[i]); empty when all are well-formed.</summary>
    public static Dictionary<string, string[]> Validate(string[]? languages, string field = "languages")
    {
        var errors = new Dictionary<string, string[]>();
        if (languages is null)
            return errors;
        if (languages.Length is 0 or > MaxLanguages)
            errors[field] = [$"Give from 1 to {MaxLanguages} languages."];
        for (var i = 0; i < languages.Length; i++)
            if (languages[i] is not { } tag || !LanguageTag().IsMatch(tag))
                errors[$"{field}[{i}]"] = ["Must be a language and region such as ru-RU or en-US."];
        return errors;
    }

    /// <summary>Saves an operator's skills in the caller's unit of work (the presence row is created offline if new).</summary>
    public static Task SaveAsync(AppDbContext db, Guid operatorId, string[] languages, Guid[]? trainedBusinessIds,
        DateTimeOffset now, CancellationToken ct)
    {
        var distinct = languages.Distinct(StringComparer.Ordinal).ToArray();
        var trained = trainedBusinessIds?.Distinct().ToArray();
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO operator_presence (operator_id, state, updated_at, languages, trained_business_ids)
            VALUES ({operatorId}, 'Offline', {now}, {distinct}, COALESCE({trained}, ARRAY[]::uuid[]))
            ON CONFLICT (operator_id) DO UPDATE SET languages = excluded.languages,
                trained_business_ids = COALESCE({trained}, operator_presence.trained_business_ids)
            """, ct);
    }

    static async Task<Results<Ok<OperatorSkillsResponse>, NotFound, ValidationProblem>> SetSkills(
        Guid id, OperatorSkillsRequest request, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var isOperator = await (
            from link in db.UserRoles
            join role in db.Roles on link.RoleId equals role.Id
            where link.UserId == id && role.Name == Roles.Operator
            select link).AnyAsync(ct);
        if (!isOperator)
            return TypedResults.NotFound();
        var errors = Validate(request.Languages);
        if (request.TrainedBusinessIds is { Length: > 0 } trained)
        {
            var known = await db.Set<Business>().Where(b => trained.Contains(b.Id)).Select(b => b.Id).ToListAsync(ct);
            for (var i = 0; i < trained.Length; i++)
                if (!known.Contains(trained[i]))
                    errors[$"trainedBusinessIds[{i}]"] = ["No such business."];
        }
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        await SaveAsync(db, id, request.Languages, request.TrainedBusinessIds, clock.GetUtcNow(), ct);
        var saved = await db.Set<OperatorPresence>().AsNoTracking().FirstAsync(p => p.OperatorId == id, ct);
        return TypedResults.Ok(new OperatorSkillsResponse(id, saved.Languages, saved.TrainedBusinessIds));
    }

    [GeneratedRegex("^[a-z]{2}-[A-Z]{2}$")]
    private static partial Regex LanguageTag();
}
