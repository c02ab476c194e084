using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using PhoneNumbers;
using Receptionist.Features.Businesses;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Forwarding;

/// <summary>
/// Which numbers the platform will protect and place test calls to, and how often (section "Forwarding").
/// A test call costs money and rings a real phone: only the business's own number, of a kind we serve.
/// </summary>
public sealed class ForwardingOptions
{
    /// <summary>ISO 3166 regions whose numbers can be protected (Forwarding__AllowedCountries__0=RU, __1=KZ …). Empty: Russia.</summary>
    public string[] AllowedCountries { get; set; } = [];

    /// <summary>How long after a forwarding check the same business may start the next one.</summary>
    [TimeSpanRange("00:00:00", "1.00:00:00")]
    public TimeSpan CheckCooldown { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Forwarding checks one owner may start in any 24 hours, over all of their businesses.</summary>
    [Range(1, 10_000)]
    public int ChecksPerOwnerPerDay { get; set; } = 10;

    public IReadOnlyCollection<string> Countries => AllowedCountries.Length == 0 ? ["RU"] : AllowedCountries;
}

/// <summary>Fixed-line and mobile numbers of the allowed countries; never premium, satellite, shared-cost, short codes or the like.</summary>
public sealed class ServedNumbers(IOptions<ForwardingOptions> options)
{
    static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <returns>Why the number (E.164) is not one we serve, or null when it is.</returns>
    public string? WhyNotServed(string e164)
    {
        var number = Util.Parse(e164, "RU");
        var type = Util.GetNumberType(number);
        if (type is not (PhoneNumberType.FIXED_LINE or PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE))
            return "Only a fixed-line or mobile number can be protected (not toll-free, premium-rate, shared-cost, satellite or other service numbers).";
        var region = Util.GetRegionCodeForNumber(number);
        return options.Value.Countries.Contains(region, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"Numbers in {region} are not served; the served countries are: {string.Join(", ", options.Value.Countries)}.";
    }
}

public static class ForwardingSetup
{
    public static IServiceCollection AddForwarding(this IServiceCollection services)
    {
        services.AddOptions<ForwardingOptions>().BindConfiguration("Forwarding").ValidateDataAnnotations()
            .Validate(o => o.AllowedCountries.All(c => PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(c.ToUpperInvariant())),
                "Forwarding:AllowedCountries must be ISO 3166 region codes such as RU.")
            .ValidateOnStart();
        services.AddSingleton<ServedNumbers>();
        services.AddHostedService<ForwardingCheckExpiry>();
        return services;
    }
}

public static class ServedNumberFilter
{
    /// <summary>
    /// A business's protected number must be one we serve: checked where the profile comes in, so a business can
    /// never hold a number its forwarding check would refuse to call.
    /// </summary>
    public static RouteGroupBuilder RequireServedProtectedNumber(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(async (context, next) =>
        {
            var request = context.Arguments.OfType<BusinessRequest>().FirstOrDefault();
            if (request is null || !Infrastructure.E164.TryParse(request.ProtectedNumber, out var e164))
                return await next(context); // the validator names a missing or unparsable number
            var why = context.HttpContext.RequestServices.GetRequiredService<ServedNumbers>().WhyNotServed(e164);
            return why is null
                ? await next(context)
                : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["protectedNumber"] = [why] });
        });
}
