using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Digest;

public static class DigestEndpoints
{
    public static IServiceCollection AddDigest(this IServiceCollection services)
    {
        services.AddOptions<DigestOptions>().BindConfiguration("Digest").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DailyDigest>();
        services.AddHostedService<DailyDigestService>();
        return services;
    }

    public static IEndpointRouteBuilder MapDigest(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/digest").WithTags("Digest").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", GetDigest).WithName(nameof(GetDigest));
        owner.MapPut("/", SetDigest).WithName(nameof(SetDigest))
            .WithSummary("Opt in or out of the daily digest of the previous day's calls, sent at a local time");
        return app;
    }

    static async Task<Results<Ok<DigestView>, NotFound>> GetDigest(Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var settings = await db.Set<DigestSettings>().AsNoTracking().FirstOrDefaultAsync(d => d.BusinessId == id, ct) ?? new DigestSettings();
        return TypedResults.Ok(ToView(settings));
    }

    static async Task<Results<Ok<DigestView>, NotFound, ValidationProblem>> SetDigest(
        Guid id, DigestRequest request, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var time = new TimeOnly(9, 0);
        if (request.Time is not null && !TimeOnly.TryParseExact(request.Time, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["time"] = ["Must be a local time as HH:mm, e.g. 09:00."] });
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var settings = await db.Set<DigestSettings>().FirstOrDefaultAsync(d => d.BusinessId == id, ct);
        if (settings is null)
            db.Add(settings = new DigestSettings { BusinessId = id });
        settings.Enabled = request.Enabled;
        settings.SendAt = time;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToView(settings));
    }

    static DigestView ToView(DigestSettings s) => new(s.Enabled, s.SendAt.ToString("HH:mm", CultureInfo.InvariantCulture));
}
