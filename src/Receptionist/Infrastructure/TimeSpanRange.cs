using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Receptionist.Infrastructure;

/// <summary>
/// <c>[Range(typeof(TimeSpan), min, max)]</c> for settings, without its race: RangeAttribute sets its conversion up on
/// first use, and two threads validating at once (several hosts starting in one process, as the tests do) can find it
/// half set up and throw InvalidCastException (dotnet/runtime#1143). The bounds are parsed once, here.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum)
    : ValidationAttribute("The field {0} must be between {1} and {2}.")
{
    readonly TimeSpan from = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
    readonly TimeSpan to = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);

    /// <summary>As RangeAttribute: no value is valid (Required says otherwise).</summary>
    public override bool IsValid(object? value) => value is not TimeSpan span || (span >= from && span <= to);

    public override string FormatErrorMessage(string name) =>
        string.Format(CultureInfo.CurrentCulture, ErrorMessageString, name, minimum, maximum);
}
