namespace Receptionist.Features.Businesses;

/// <summary>A weekly timetable in the business's local time, with dated exceptions (holidays, short days).</summary>
public sealed record OpeningHours(List<OpeningInterval> Weekly, List<DateException> Exceptions)
{
    public static OpeningHours Default => new(
        [.. new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .Select(day => new OpeningInterval(day, new TimeOnly(9, 0), new TimeOnly(18, 0)))],
        []);

    /// <summary>The intervals that apply on a local date: its exception if there is one, else the weekly ones.</summary>
    public IReadOnlyList<(TimeOnly Open, TimeOnly Close)> On(DateOnly date)
    {
        var exception = Exceptions.FirstOrDefault(e => e.Date == date);
        if (exception is not null)
            return exception is { Open: { } open, Close: { } close } ? [(open, close)] : [];
        return [.. Weekly.Where(i => i.Day == date.DayOfWeek).OrderBy(i => i.Open).Select(i => (i.Open, i.Close))];
    }

    public bool IsOpenAt(DateTime localTime)
    {
        var time = TimeOnly.FromDateTime(localTime);
        return On(DateOnly.FromDateTime(localTime)).Any(i => time >= i.Open && time < i.Close);
    }

    /// <summary>"09:00–18:00" or "09:00–13:00, 14:00–18:00"; empty when closed all day.</summary>
    public string Describe(DateOnly date) =>
        string.Join(", ", On(date).Select(i => $"{i.Open:HH\\:mm}–{i.Close:HH\\:mm}"));
}

public sealed record OpeningInterval(DayOfWeek Day, TimeOnly Open, TimeOnly Close);

/// <summary>Closed all day when Open and Close are both null.</summary>
public sealed record DateException(DateOnly Date, TimeOnly? Open, TimeOnly? Close, string? Note);
