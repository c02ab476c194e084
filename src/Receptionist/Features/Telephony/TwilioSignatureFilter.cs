using Microsoft.Extensions.Options;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Telephony;

/// <summary>
/// Lets a webhook through only when X-Twilio-Signature matches. The URL checked is the public one
/// (App:PublicBaseUrl + path + query), never the Host header, which proxies and callers control.
/// There is no bypass: without an auth token every webhook is refused.
/// </summary>
public sealed class TwilioSignatureFilter(
    IOptionsMonitor<TwilioOptions> twilio, IOptionsMonitor<AppOptions> app, ILogger<TwilioSignatureFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var form = await TwilioForm.ReadAsync(request);
        var url = app.CurrentValue.Url(request.Path.ToUriComponent() + request.QueryString.ToUriComponent()).AbsoluteUri;
        var token = twilio.CurrentValue.AuthToken;
        var signature = request.Headers[TwilioSignature.Header] is { Count: 1 } header ? header[0] : null;

        if (string.IsNullOrEmpty(token) || form is null || !TwilioSignature.IsValid(token, url, form, signature))
        {
            logger.LogWarning("Refused a Twilio webhook to {Url}: {Reason}", url,
                string.IsNullOrEmpty(token) ? "no Twilio:AuthToken is configured"
                : form is null ? "the body is not a form" : "missing or invalid signature");
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Invalid Twilio signature",
                detail: $"The {TwilioSignature.Header} header does not match this request.");
        }
        return await next(context);
    }
}

public static class TwilioSignatureFilterExtensions
{
    /// <summary>
    /// For provider webhook groups: anonymous (the signature is the authentication), no antiforgery token
    /// (Twilio cannot send one), and the signature checked before any handler runs.
    /// </summary>
    public static TBuilder RequireTwilioSignature<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AllowAnonymous();
        builder.DisableAntiforgery();
        builder.AddEndpointFilter<TBuilder, TwilioSignatureFilter>();
        return builder;
    }
}
