using System.ComponentModel.DataAnnotations;

namespace Receptionist.Features.Businesses;

/// <summary>Create and replace share one shape: PUT sends the whole profile.</summary>
public sealed record BusinessRequest(
    [property: Required, MaxLength(100)] string Name,
    [property: Required, MaxLength(40)] string ProtectedNumber,
    [property: Required, MaxLength(64)] string TimeZone,
    [property: Required, MinLength(1), MaxLength(10)] string[] SummaryEmails,
    [property: MaxLength(5)] string? Language = null,
    [property: MaxLength(40)] string? BackupNumber = null,
    [property: MaxLength(16)] string? Fallback = null,
    [property: MaxLength(50)] OpeningIntervalDto[]? Hours = null,
    [property: MaxLength(100)] DateExceptionDto[]? Holidays = null);

/// <summary>Day is the English day name ("monday"); times are local "HH:mm".</summary>
public sealed record OpeningIntervalDto(
    [property: MaxLength(16)] string Day, [property: MaxLength(5)] string Open, [property: MaxLength(5)] string Close);

/// <summary>A date with special hours, or closed all day when Open and Close are omitted.</summary>
public sealed record DateExceptionDto(
    [property: MaxLength(10)] string Date,
    [property: MaxLength(5)] string? Open = null,
    [property: MaxLength(5)] string? Close = null,
    [property: MaxLength(200)] string? Note = null);

public sealed record BusinessResponse(
    Guid Id,
    string Name,
    string ProtectedNumber,
    string TimeZone,
    string Language,
    string[] SummaryEmails,
    string? BackupNumber,
    FallbackMode Fallback,
    OpeningIntervalDto[] Hours,
    DateExceptionDto[] Holidays,
    string? LineNumber,
    DateTimeOffset CreatedAt);
