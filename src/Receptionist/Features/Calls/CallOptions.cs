using System.ComponentModel.DataAnnotations;

namespace Receptionist.Features.Calls;

public sealed class CallOptions
{
    /// <summary>A call answered within this many seconds of arriving is billable; later, never.</summary>
    [Range(1, 600)]
    public int AnswerSlaSeconds { get; set; } = 30;

    /// <summary>After this many seconds without an operator the caller goes to the business's fallback.</summary>
    [Range(5, 900)]
    public int OverflowSeconds { get; set; } = 60;
}
