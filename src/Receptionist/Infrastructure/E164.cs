using PhoneNumbers;

namespace Receptionist.Infrastructure;

/// <summary>Parses what people type (8 (495) 120-37-91, +7 495 120-37-91) into E.164 with libphonenumber.</summary>
public static class E164
{
    // Our customers are Russian businesses: a number without a country code is read as Russian.
    const string DefaultRegion = "RU";
    static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>The ISO 3166 country of a number already in E.164 ("RU" for +7 495 …).</summary>
    public static string RegionOf(string e164) => Util.GetRegionCodeForNumber(Util.Parse(e164, DefaultRegion));

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
