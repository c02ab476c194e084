using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Lines;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Forwarding;

public static class ForwardingEndpoints
{
    public static IEndpointRouteBuilder MapForwarding(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/forwarding").WithTags("Forwarding").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", GetForwarding).WithName(nameof(GetForwarding))
            .WithSummary("Forwarding codes and PBX steps for the business's receptionist line");
        return app;
    }

    static async Task<Results<Ok<ForwardingResponse>, NotFound, ValidationProblem, ProblemHttpResult>> GetForwarding(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct, int? noAnswerSeconds = null)
    {
        var seconds = noAnswerSeconds ?? ForwardingInstructions.DefaultNoAnswerSeconds;
        if (seconds is < ForwardingInstructions.MinNoAnswerSeconds or > ForwardingInstructions.MaxNoAnswerSeconds)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["noAnswerSeconds"] = [$"Must be from {ForwardingInstructions.MinNoAnswerSeconds} to {ForwardingInstructions.MaxNoAnswerSeconds}."],
            });

        var row = await db.OwnedBy(owner).Where(b => b.Id == id)
            .Select(b => new
            {
                b.Language,
                Line = db.Set<ReceptionistLine>().Where(l => l.BusinessId == b.Id).Select(l => l.Number).FirstOrDefault(),
            }).FirstOrDefaultAsync(ct);
        if (row is null)
            return TypedResults.NotFound();
        if (row.Line is null)
            return TypedResults.Problem("The business is awaiting a receptionist line; forwarding codes appear once one is assigned.",
                statusCode: StatusCodes.Status409Conflict, title: "Awaiting line");
        return TypedResults.Ok(ForwardingInstructions.For(row.Line, seconds, row.Language));
    }
}
