using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;

namespace Receptionist.Features.Summaries;

/// <summary>What the operator recorded about an answered call: one per call, never changed once written.</summary>
public sealed class CallSummary
{
    public Guid CallId { get; init; }
    public Guid BusinessId { get; init; }
    public Guid OperatorId { get; init; }
    /// <summary>The key of one of the scenario's outcomes.</summary>
    public required string Outcome { get; init; }
    /// <summary>The outcome as the scenario named it when the summary was written (a later scenario may rename it).</summary>
    public required string OutcomeLabel { get; init; }
    /// <summary>Field name → value, already checked and normalised (phones in E.164).</summary>
    public Dictionary<string, string> Fields { get; init; } = [];
    public string? Note { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    const int ShortTextLength = 200;

    /// <summary>One line for the console's history of a caller: the outcome and the note, or the first fields.</summary>
    public static string ShortText(string outcomeLabel, string? note, IReadOnlyDictionary<string, string> fields)
    {
        var detail = !string.IsNullOrWhiteSpace(note) ? note.Trim() : string.Join("; ", fields.Values.Take(3));
        var text = detail.Length == 0 ? outcomeLabel : $"{outcomeLabel}: {detail}";
        return text.Length <= ShortTextLength ? text : string.Concat(text.AsSpan(0, ShortTextLength - 1), "…");
    }
}

/// <summary>A summary as owners see it in their call log.</summary>
public sealed record SummaryView(
    string Outcome,
    string OutcomeLabel,
    IReadOnlyDictionary<string, string> Fields,
    string? Note,
    string? OperatorName,
    DateTimeOffset CreatedAt);

sealed class CallSummaryConfiguration : IEntityTypeConfiguration<CallSummary>
{
    public void Configure(EntityTypeBuilder<CallSummary> b)
    {
        b.ToTable("call_summaries");
        b.HasKey(x => x.CallId);
        b.Property(x => x.Outcome).HasMaxLength(64);
        b.Property(x => x.OutcomeLabel).HasMaxLength(200);
        b.Property(x => x.Fields).HasJsonConversion();
        b.Property(x => x.Note).HasMaxLength(SummaryLimits.NoteLength);
        b.HasIndex(x => new { x.BusinessId, x.CreatedAt });
        b.HasOne<Call>().WithOne().HasForeignKey<CallSummary>(x => x.CallId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Business>().WithMany().HasForeignKey(x => x.BusinessId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<AppUser>().WithMany().HasForeignKey(x => x.OperatorId).OnDelete(DeleteBehavior.Restrict);
    }
}

public static class SummaryLimits
{
    public const int NoteLength = 4000;
    public const int TextLength = 500;
    public const int LongTextLength = 4000;
}
