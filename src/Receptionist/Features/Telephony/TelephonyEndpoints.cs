using Microsoft.Extensions.Options;
using Polly;
using Receptionist.Features.Transfers;

namespace Receptionist.Features.Telephony;

public static class TelephonyEndpoints
{
    /// <summary>Registers <see cref="ITelephonyProvider"/> (Twilio) and its options. Needs AddAppOptions().</summary>
    public static IServiceCollection AddTelephony(this IServiceCollection services)
    {
        services.AddOptions<TwilioOptions>().BindConfiguration("Twilio").ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<ITelephonyProvider, TwilioProvider>((provider, client) =>
                client.BaseAddress = new Uri(provider.GetRequiredService<IOptions<TwilioOptions>>().Value.ApiBaseUrl.TrimEnd('/') + "/"))
            .AddStandardResilienceHandler(options => options.Retry.ShouldHandle =
                args => ValueTask.FromResult(TwilioProvider.ShouldRetry(args.Context.GetRequestMessage(), args.Outcome)));
        return services;
    }

    public static IEndpointRouteBuilder MapTelephony(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/telephony/twilio").WithTags("Telephony").RequireTwilioSignature().MapTwilioCallWebhooks()
            .MapTransferWebhooks();
        return app;
    }
}
