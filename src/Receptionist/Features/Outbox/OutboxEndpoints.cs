using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Outbox;

/// <summary>An outbox message as admins see it.</summary>
public sealed record OutboxEntry(
    Guid Id,
    string Kind,
    DateTimeOffset CreatedAt,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset? DeadLetteredAt,
    JsonElement Payload);

public static class OutboxEndpoints
{
    const int ListLimit = 100;

    public static IServiceCollection AddOutbox(this IServiceCollection services)
    {
        services.AddOptions<OutboxOptions>().BindConfiguration("Outbox").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxWakeInterceptor>();
        services.ConfigureDbContext<AppDbContext>((sp, options) =>
            options.AddInterceptors(sp.GetRequiredService<OutboxWakeInterceptor>()));
        services.AddHostedService<OutboxProcessor>();
        return services;
    }

    /// <summary>Registers the handler that delivers messages of <paramref name="kind"/> (one per kind, scoped).</summary>
    public static IServiceCollection AddOutboxHandler<THandler>(this IServiceCollection services, string kind)
        where THandler : class, IOutboxHandler =>
        services.AddKeyedScoped<IOutboxHandler, THandler>(kind);

    public static IEndpointRouteBuilder MapOutboxAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/outbox").WithTags("Admin").RequireAuthorization(Policies.Admin);
        admin.MapGet("/", ListOutbox).WithName(nameof(ListOutbox))
            .WithSummary($"List dead-lettered (state=dead, the default) or pending (state=pending) messages, newest first, at most {ListLimit}");
        admin.MapPost("/{id:guid}/retry", RetryOutboxMessage).WithName(nameof(RetryOutboxMessage))
            .WithSummary("Requeue a dead-lettered message with a fresh set of attempts");
        return app;
    }

    static async Task<Results<Ok<List<OutboxEntry>>, ValidationProblem>> ListOutbox(
        AppDbContext db, CancellationToken ct, string state = "dead")
    {
        var messages = db.Set<OutboxMessage>().AsNoTracking();
        IQueryable<OutboxMessage>? selected = state switch
        {
            "dead" => messages.Where(m => m.DeadLetteredAt != null).OrderByDescending(m => m.DeadLetteredAt),
            "pending" => messages.Where(m => m.DeliveredAt == null && m.DeadLetteredAt == null).OrderBy(m => m.NextAttemptAt),
            _ => null,
        };
        if (selected is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["state"] = ["Must be 'dead' or 'pending'."] });
        var rows = await selected.Take(ListLimit).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(m => new OutboxEntry(m.Id, m.Kind, m.CreatedAt, m.Attempts, m.NextAttemptAt,
            m.LastError, m.DeadLetteredAt, JsonSerializer.Deserialize<JsonElement>(m.Payload))).ToList());
    }

    static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RetryOutboxMessage(
        Guid id, AppDbContext db, OutboxSignal signal, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var requeued = await db.Set<OutboxMessage>()
            .Where(m => m.Id == id && m.DeadLetteredAt != null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.DeadLetteredAt, (DateTimeOffset?)null)
                .SetProperty(m => m.Attempts, 0)
                .SetProperty(m => m.NextAttemptAt, now), ct);
        if (requeued == 1)
        {
            signal.Wake();
            return TypedResults.NoContent();
        }
        return await db.Set<OutboxMessage>().AnyAsync(m => m.Id == id, ct)
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                detail: "Only a dead-lettered message can be retried; this one is delivered or still pending.")
            : TypedResults.NotFound();
    }
}
