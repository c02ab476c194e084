using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Forwarding;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Transfers;

/// <summary>Where and when an operator may hand a caller to the business's owner.</summary>
public sealed class TransferSettings
{
    public Guid BusinessId { get; init; }
    /// <summary>The owner's number for transfers, E.164.</summary>
    public required string TransferNumber { get; set; }
    /// <summary>Transfers are allowed from this time of day to <see cref="Until"/>, in the business's time zone.</summary>
    public TimeOnly From { get; set; }
    public TimeOnly Until { get; set; }
    /// <summary>Whether an operator may send a caller straight to the owner without announcing them first.</summary>
    public bool AllowCold { get; set; }

    public bool AllowsAt(Business business, DateTimeOffset now)
    {
        var local = TimeOnly.FromDateTime(business.LocalTime(now));
        return From <= Until ? local >= From && local < Until : local >= From || local < Until;
    }
}

sealed class TransferSettingsConfiguration : IEntityTypeConfiguration<TransferSettings>
{
    public void Configure(EntityTypeBuilder<TransferSettings> b)
    {
        b.ToTable("business_transfer_settings");
        b.HasKey(x => x.BusinessId);
        b.Property(x => x.TransferNumber).HasMaxLength(32);
        b.HasOne<Business>().WithOne().HasForeignKey<TransferSettings>(x => x.BusinessId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <param name="From">"09:00": transfers allowed from (the business's local time).</param>
/// <param name="Until">"18:00": and until.</param>
public sealed record TransferSettingsRequest(
    [property: Required, MaxLength(32)] string TransferNumber,
    [property: Required, MaxLength(5)] string From,
    [property: Required, MaxLength(5)] string Until,
    bool AllowCold = false);

public sealed record TransferSettingsResponse(string TransferNumber, string From, string Until, bool AllowCold);

public static class TransferSettingsEndpoints
{
    public static IEndpointRouteBuilder MapTransferSettings(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/transfer").WithTags("Businesses").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", GetTransferSettings).WithName(nameof(GetTransferSettings));
        owner.MapPut("/", SetTransferSettings).WithName(nameof(SetTransferSettings))
            .WithSummary("The owner's number for transfers from operators, the hours they are allowed, and whether cold ones are");
        return app;
    }

    static async Task<Results<Ok<TransferSettingsResponse>, NotFound>> GetTransferSettings(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var settings = await db.OwnedBy(owner).Where(b => b.Id == id)
            .Join(db.Set<TransferSettings>(), b => b.Id, s => s.BusinessId, (b, s) => s).FirstOrDefaultAsync(ct);
        return settings is null ? TypedResults.NotFound() : TypedResults.Ok(ToResponse(settings));
    }

    static async Task<Results<Ok<TransferSettingsResponse>, NotFound, ValidationProblem>> SetTransferSettings(
        Guid id, TransferSettingsRequest request, AppDbContext db, CurrentUser owner, ServedNumbers served, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var errors = new Dictionary<string, string[]>();
        if (!E164.TryParse(request.TransferNumber, out var number))
            errors["transferNumber"] = ["Must be a phone number, e.g. +7 916 123-45-67."];
        else if (served.WhyNotServed(number) is { } why)
            errors["transferNumber"] = [why];
        if (!TimeOnly.TryParseExact(request.From, "HH:mm", out var from))
            errors["from"] = ["Must be a time of day such as 09:00."];
        if (!TimeOnly.TryParseExact(request.Until, "HH:mm", out var until))
            errors["until"] = ["Must be a time of day such as 18:00."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var settings = await db.Set<TransferSettings>().FirstOrDefaultAsync(s => s.BusinessId == id, ct);
        if (settings is null)
            db.Add(settings = new TransferSettings { BusinessId = id, TransferNumber = number });
        settings.TransferNumber = number;
        settings.From = from;
        settings.Until = until;
        settings.AllowCold = request.AllowCold;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToResponse(settings));
    }

    static TransferSettingsResponse ToResponse(TransferSettings s) =>
        new(s.TransferNumber, s.From.ToString("HH:mm"), s.Until.ToString("HH:mm"), s.AllowCold);
}
