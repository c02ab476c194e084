using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.Outbox;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Lines;

public sealed record AddLineRequest([property: Required, MaxLength(40)] string Number);

public sealed record LineResponse(Guid Id, string Number, Guid? BusinessId, DateTimeOffset AddedAt, DateTimeOffset? RetiredAt);

public static class LineEndpoints
{
    public static IServiceCollection AddLines(this IServiceCollection services) =>
        services.AddScoped<LinePool>().AddOutboxHandler<LinePurchaseHandler>(LinePurchase.OutboxKind);

    public static IEndpointRouteBuilder MapLines(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/lines").WithTags("Admin").RequireAuthorization(Policies.Admin);
        admin.MapPost("/", AddLine).WithName(nameof(AddLine)).WithSummary("Add a number to the line pool");
        admin.MapGet("/", ListLines).WithName(nameof(ListLines)).WithSummary("List the line pool");
        admin.MapDelete("/{id:guid}", RetireLine).WithName(nameof(RetireLine)).WithSummary("Retire an unassigned line");
        return app;
    }

    static async Task<Results<Created<LineResponse>, ValidationProblem>> AddLine(
        AddLineRequest request, AppDbContext db, LinePool pool, TimeProvider clock, CancellationToken ct)
    {
        if (!E164.TryParse(request.Number, out var number))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["number"] = ["Not a valid phone number."] });

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var line = new ReceptionistLine { Number = number, AddedAt = clock.GetUtcNow() };
        db.Add(line);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["number"] = ["This number is already in the pool."] });
        }
        var businessId = await pool.AssignToWaitingBusinessAsync(line.Id, ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Created($"/api/admin/lines/{line.Id}",
            new LineResponse(line.Id, line.Number, businessId, line.AddedAt, null));
    }

    static async Task<Ok<List<LineResponse>>> ListLines(AppDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await db.Set<ReceptionistLine>().OrderBy(l => l.AddedAt)
            .Select(l => new LineResponse(l.Id, l.Number, l.BusinessId, l.AddedAt, l.RetiredAt)).ToListAsync(ct));

    static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RetireLine(
        Guid id, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var line = await db.Set<ReceptionistLine>().FirstOrDefaultAsync(l => l.Id == id, ct);
        if (line is null)
            return TypedResults.NotFound();
        if (line.BusinessId is not null)
            return TypedResults.Problem("The line is assigned to a business; it cannot be retired while in use.",
                statusCode: StatusCodes.Status409Conflict);
        line.RetiredAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
