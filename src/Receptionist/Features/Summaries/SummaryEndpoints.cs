using Microsoft.AspNetCore.Http.HttpResults;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Summaries;

public static class SummaryEndpoints
{
    public static IServiceCollection AddSummaries(this IServiceCollection services)
    {
        services.AddScoped<SummaryWriter>();
        return services;
    }

    public static IEndpointRouteBuilder MapSummaries(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup("/api/console/calls").WithTags("Console").RequireAuthorization(Policies.Operator);
        console.MapPost("/{id:guid}/summary", SubmitSummary).WithName(nameof(SubmitSummary))
            .WithSummary("Wrap-up: record the call's summary, email it to the business and become available again");
        return app;
    }

    static async Task<Results<Created<SubmittedSummary>, NotFound, ValidationProblem, ProblemHttpResult>> SubmitSummary(
        Guid id, SummaryRequest request, SummaryWriter writer, CurrentUser me, CancellationToken ct) =>
        await writer.SubmitAsync(id, me.Id, request, ct) switch
        {
            SubmitResult.Submitted s => TypedResults.Created((string?)null, s.Summary),
            SubmitResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors),
            SubmitResult.Conflict conflict => TypedResults.Problem(conflict.Detail, title: conflict.Title, statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.NotFound(),
        };
}
