using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Receptionist.Data;
using Receptionist.Features.ApiKeys;
using Receptionist.Features.Forwarding;
using Receptionist.Features.Lines;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Businesses;

public static class BusinessEndpoints
{
    public static IEndpointRouteBuilder MapBusinesses(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses").WithTags("Businesses").RequireAuthorization(Policies.Owner)
            .RequireServedProtectedNumber();
        owner.MapPost("/", CreateBusiness).WithName(nameof(CreateBusiness))
            .WithSummary("Create a business and assign it a receptionist line");
        owner.MapGet("/", ListBusinesses).WithName(nameof(ListBusinesses)).WithSummary("The owner's businesses").AllowApiKeys();
        owner.MapGet("/{id:guid}", GetBusiness).WithName(nameof(GetBusiness)).AllowApiKeys();
        owner.MapPut("/{id:guid}", UpdateBusiness).WithName(nameof(UpdateBusiness)).WithSummary("Replace the business profile");
        return app;
    }

    /// <summary>Only the current owner's businesses: a foreign id looks exactly like a missing one.</summary>
    public static IQueryable<Business> OwnedBy(this AppDbContext db, CurrentUser owner)
    {
        var ownerId = owner.Id;
        return db.Set<Business>().Where(b => b.OwnerId == ownerId);
    }

    static async Task<Results<Created<BusinessResponse>, ValidationProblem>> CreateBusiness(
        BusinessRequest request, AppDbContext db, CurrentUser owner, LinePool lines, TimeProvider clock, CancellationToken ct)
    {
        var (profile, errors) = BusinessValidator.Validate(request);
        if (profile is null)
            return TypedResults.ValidationProblem(errors);

        var business = new Business
        {
            OwnerId = owner.Id,
            Name = profile.Name,
            ProtectedNumber = profile.ProtectedNumber,
            TimeZone = profile.TimeZone,
            Language = profile.Language,
            CreatedAt = clock.GetUtcNow(),
        };
        Apply(profile, business);

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        db.Add(business);
        if (!await TrySaveAsync(db, ct))
            return ProtectedNumberTaken();
        // No free line is not an error: the business waits for one ("awaiting line" in its status), from the pool
        // or bought once it has paid (LineProvisioning). The provider is never called here, so its outages cannot fail this.
        var line = await lines.AssignFreeLineAsync(business.Id, ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Created($"/api/businesses/{business.Id}", ToResponse(business, line));
    }

    static async Task<Ok<List<BusinessResponse>>> ListBusinesses(AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var rows = await db.OwnedBy(owner).OrderBy(b => b.CreatedAt).WithLines(db).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(x => ToResponse(x.Business, x.Line)).ToList());
    }

    static async Task<Results<Ok<BusinessResponse>, NotFound>> GetBusiness(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var row = await db.OwnedBy(owner).Where(b => b.Id == id).WithLines(db).FirstOrDefaultAsync(ct);
        return row is null ? TypedResults.NotFound() : TypedResults.Ok(ToResponse(row.Business, row.Line));
    }

    static async Task<Results<Ok<BusinessResponse>, NotFound, ValidationProblem>> UpdateBusiness(
        Guid id, BusinessRequest request, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var row = await db.OwnedBy(owner).Where(b => b.Id == id).WithLines(db).FirstOrDefaultAsync(ct);
        if (row is null)
            return TypedResults.NotFound();
        var (profile, errors) = BusinessValidator.Validate(request);
        if (profile is null)
            return TypedResults.ValidationProblem(errors);

        var business = row.Business;
        if (business.ProtectedNumber != profile.ProtectedNumber)
        {
            business.ProtectedNumber = profile.ProtectedNumber;
            // A new number has not been shown to forward to us yet.
            business.ForwardingVerifiedAt = null;
        }
        business.Name = profile.Name;
        business.TimeZone = profile.TimeZone;
        business.Language = profile.Language;
        Apply(profile, business);
        return await TrySaveAsync(db, ct) ? TypedResults.Ok(ToResponse(business, row.Line)) : ProtectedNumberTaken();
    }

    static void Apply(BusinessValidator.ValidProfile profile, Business business)
    {
        business.SummaryEmails = profile.SummaryEmails;
        business.BackupNumber = profile.BackupNumber;
        business.Fallback = profile.Fallback;
        business.Hours = profile.Hours;
    }

    static async Task<bool> TrySaveAsync(AppDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return false;
        }
    }

    static ValidationProblem ProtectedNumberTaken() => TypedResults.ValidationProblem(new Dictionary<string, string[]>
    {
        ["protectedNumber"] = ["This number is already protected by another business."],
    });

    /// <summary>Each business with its receptionist line's number (null while awaiting one), in one query.</summary>
    public static IQueryable<BusinessWithLine> WithLines(this IQueryable<Business> businesses, AppDbContext db) =>
        businesses.Select(b => new BusinessWithLine(b,
            db.Set<ReceptionistLine>().Where(l => l.BusinessId == b.Id).Select(l => l.Number).FirstOrDefault()));

    static BusinessResponse ToResponse(Business b, string? line) => new(
        b.Id, b.Name, b.ProtectedNumber, b.TimeZone, b.Language, [.. b.SummaryEmails], b.BackupNumber,
        b.Fallback,
        [.. b.Hours.Weekly.Select(i => new OpeningIntervalDto(i.Day.ToString().ToLowerInvariant(), $"{i.Open:HH\\:mm}", $"{i.Close:HH\\:mm}"))],
        [.. b.Hours.Exceptions.Select(e => new DateExceptionDto($"{e.Date:yyyy-MM-dd}", e.Open?.ToString("HH:mm"), e.Close?.ToString("HH:mm"), e.Note))],
        line, b.CreatedAt);
}

public sealed record BusinessWithLine(Business Business, string? Line);
