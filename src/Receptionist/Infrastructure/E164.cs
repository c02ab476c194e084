using PhoneNumbers;

namespace Receptionist.Infrastructure;

/// <summary>Parses what people type (8 (495) 120-37-91, +7 495 120-37-91) into E.164 with libphonenumber.</summary>
public static class E164
{
    // Our customers are Russian businesses: a number without a country code is read as Russian.
    const string DefaultRegion = "RU";
    static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static bool TryParse(string? input, out string e164)
    {
        e164 = "";
        if (string.IsNullOrWhiteSpace(input) || input.Length > 40)
            return false;
        try
        {
            var number = Util.Parse(input, DefaultRegion);
            if (!Util.IsValidNumber(number))
                return false;
            e164 = Util.Format(number, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }
}
