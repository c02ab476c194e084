using System.Globalization;
using System.Net.Mail;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Businesses;

/// <summary>
/// Turns a request into a valid profile or names every field that is wrong. DataAnnotations check the
/// shape first; this checks what needs parsing (phone numbers, time zones, hours).
/// </summary>
public static class BusinessValidator
{
    public static readonly string[] Languages = ["ru-RU", "en-US"];
    public const int MaxNoteLength = 200;

    public sealed record ValidProfile(
        string Name, string ProtectedNumber, string TimeZone, string Language, List<string> SummaryEmails,
        string? BackupNumber, FallbackMode Fallback, OpeningHours Hours);

    public static (ValidProfile? Profile, Dictionary<string, string[]> Errors) Validate(BusinessRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) =>
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

        var name = request.Name.Trim();
        if (name.Length == 0)
            Fail("name", "The business name is required.");

        if (!E164.TryParse(request.ProtectedNumber, out var protectedNumber))
            Fail("protectedNumber", "Not a valid phone number; use the international form, e.g. +7 495 120-37-91.");

        var timeZone = request.TimeZone.Trim();
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) || !zone.HasIanaId)
            Fail("timeZone", "Not a known IANA time zone, e.g. Europe/Moscow.");

        var language = request.Language ?? Languages[0];
        if (!Languages.Contains(language))
            Fail("language", $"Must be one of: {string.Join(", ", Languages)}.");

        var emails = new List<string>();
        foreach (var (email, index) in request.SummaryEmails.Select((e, i) => (e?.Trim() ?? "", i)))
        {
            if (!IsEmail(email))
                Fail($"summaryEmails[{index}]", "Not a valid email address.");
            else if (!emails.Contains(email, StringComparer.OrdinalIgnoreCase))
                emails.Add(email);
        }

        string? backupNumber = null;
        if (!string.IsNullOrWhiteSpace(request.BackupNumber))
        {
            if (!E164.TryParse(request.BackupNumber, out var parsed))
                Fail("backupNumber", "Not a valid phone number.");
            else if (parsed == protectedNumber)
                Fail("backupNumber", "The backup number cannot be the forwarded number itself: calls would loop.");
            else
                backupNumber = parsed;
        }

        var fallback = FallbackMode.Voicemail;
        if (request.Fallback is not null && !JsonConventions.TryParseName(request.Fallback, out fallback))
            Fail("fallback", "Must be voicemail or backupNumber.");
        else if (fallback == FallbackMode.BackupNumber && backupNumber is null && !errors.ContainsKey("backupNumber"))
            Fail("backupNumber", "Required when the fallback is backupNumber.");

        var hours = ParseHours(request, Fail);

        return errors.Count > 0
            ? (null, errors)
            : (new ValidProfile(name, protectedNumber, timeZone, language, emails, backupNumber, fallback, hours), errors);
    }

    static OpeningHours ParseHours(BusinessRequest request, Action<string, string> fail)
    {
        if (request.Hours is null && request.Holidays is null)
            return OpeningHours.Default;

        var weekly = new List<OpeningInterval>();
        foreach (var (interval, i) in (request.Hours ?? []).Select((h, i) => (h, i)))
        {
            var field = $"hours[{i}]";
            var dayKnown = JsonConventions.TryParseName<DayOfWeek>(interval.Day, out var day);
            if (!dayKnown)
                fail($"{field}.day", "Must be a day name: monday … sunday.");
            // The times are checked even when the day is wrong, so every bad field is named at once.
            if (TryInterval(interval.Open, interval.Close, $"{field}", fail) is { } times && dayKnown)
            {
                if (weekly.Any(w => w.Day == day && times.Open < w.Close && w.Open < times.Close))
                    fail(field, "Overlaps another interval on the same day.");
                else
                    weekly.Add(new OpeningInterval(day, times.Open, times.Close));
            }
        }

        var exceptions = new List<DateException>();
        foreach (var (holiday, i) in (request.Holidays ?? []).Select((h, i) => (h, i)))
        {
            var field = $"holidays[{i}]";
            if (holiday.Note is { Length: > MaxNoteLength })
                fail($"{field}.note", $"Must be at most {MaxNoteLength} characters.");
            var allDay = holiday.Open is null && holiday.Close is null;
            var times = allDay ? null : TryInterval(holiday.Open, holiday.Close, field, fail);
            if (!DateOnly.TryParseExact(holiday.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                fail($"{field}.date", "Must be a date as yyyy-MM-dd.");
            else if (exceptions.Any(e => e.Date == date))
                fail($"{field}.date", "This date is listed twice.");
            else if (allDay || times is not null)
                exceptions.Add(new DateException(date, times?.Open, times?.Close, holiday.Note?.Trim()));
        }
        return new OpeningHours(weekly, exceptions);
    }

    static (TimeOnly Open, TimeOnly Close)? TryInterval(string? open, string? close, string field, Action<string, string> fail)
    {
        var okOpen = TimeOnly.TryParseExact(open, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var o);
        var okClose = TimeOnly.TryParseExact(close, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var c);
        if (!okOpen)
            fail($"{field}.open", "Must be a time as HH:mm.");
        if (!okClose)
            fail($"{field}.close", "Must be a time as HH:mm.");
        if (!okOpen || !okClose)
            return null;
        if (c <= o)
        {
            fail($"{field}.close", "Must be later than the opening time.");
            return null;
        }
        return (o, c);
    }

    /// <summary>An address our mail can be sent to (<see cref="Email.EmailAddresses.IsPlainAddress"/>).</summary>
    public static bool IsEmail(string email) => Email.EmailAddresses.IsPlainAddress(email);
}
