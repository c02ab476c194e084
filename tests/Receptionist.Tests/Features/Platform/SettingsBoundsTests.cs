using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Receptionist.Features.Calls;
using Receptionist.Infrastructure;

namespace Receptionist.Tests.Features.Platform;

/// <summary>
/// Settings with a time span are bounded by <see cref="TimeSpanRangeAttribute"/>: RangeAttribute's own conversion is
/// set up on first use without a lock, and hosts starting side by side (the tests start many in one process) made one
/// of them fail to start with an InvalidCastException.
/// </summary>
public sealed class SettingsBoundsTests
{
    [Fact]
    public void NoSettingIsBoundedByARangeThatConvertsOnFirstUse()
    {
        var racy = typeof(Program).Assembly.GetTypes()
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttribute<RangeAttribute>() is { OperandType: var type } && type != typeof(int) && type != typeof(double))
                .Select(p => $"{t.Name}.{p.Name}"))
            .ToList();

        Assert.Empty(racy);
    }

    [Fact]
    public void ATimeSpanSettingOutsideItsBoundsIsRefusedNamingTheSetting()
    {
        var results = new List<ValidationResult>();
        var options = new CallOptions { ReconcileInterval = TimeSpan.FromHours(2) };
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Equal("The field ReconcileInterval must be between 00:00:01 and 01:00:00.", Assert.Single(results).ErrorMessage);

        options.ReconcileInterval = TimeSpan.FromHours(1);
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), results = [], validateAllProperties: true));
    }
}
