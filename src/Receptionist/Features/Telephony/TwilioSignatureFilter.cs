using Microsoft.AspNetCore.Http.Features;
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
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        await RefuseUnlessSignedAsync(context.HttpContext) ?? await next(context);

    /// <summary>The 403 for a request Twilio did not sign, or null when it did.</summary>
    public async Task<IResult?> RefuseUnlessSignedAsync(HttpContext http)
    {
        var request = http.Request;
        var form = await TwilioForm.ReadAsync(request);
        // Twilio signs the URL it requested, byte for byte: the path and query exactly as they arrived (case kept,
        // nothing decoded or re-encoded), behind our public base URL.
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw[0] == '/'
            ? raw
            : request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        var url = app.CurrentValue.PublicBaseUrl.TrimEnd('/') + target;
        var token = twilio.CurrentValue.AuthToken;
        var signature = request.Headers[TwilioSignature.Header] is { Count: 1 } header ? header[0] : null;

        if (string.IsNullOrEmpty(token) || form is null
            || !PortVariants(app.CurrentValue.PublicBaseUrl.TrimEnd('/')).Any(b => TwilioSignature.IsValid(token, b + target, form, signature)))
        {
            logger.LogWarning("Refused a Twilio webhook to {Url}: {Reason}", url,
                string.IsNullOrEmpty(token) ? "no Twilio:AuthToken is configured"
                : form is null ? "the body is not a form" : "missing or invalid signature");
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Invalid Twilio signature",
                detail: $"The {TwilioSignature.Header} header does not match this request.");
        }
        return null;
    }

    /// <summary>
    /// The base as configured, and the one variant Twilio's own helper libraries also accept: without the port when
    /// one is written, or with the scheme's default port (443, 80) when none is. Nothing else.
    /// </summary>
    public static IEnumerable<string> PortVariants(string publicBase)
    {
        yield return publicBase;
        var schemeEnd = publicBase.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
            yield break;
        var authorityStart = schemeEnd + 3;
        var pathStart = publicBase.IndexOf('/', authorityStart) is var slash and >= 0 ? slash : publicBase.Length;
        var authority = publicBase[authorityStart..pathStart];
        var colon = authority.LastIndexOf(':');
        var hasPort = colon >= 0 && !authority.EndsWith(']') && authority[(colon + 1)..].All(char.IsAsciiDigit);
        var scheme = publicBase[..schemeEnd];
        var variant = hasPort
            ? authority[..colon]
            : authority + (scheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? ":443" : ":80");
        yield return publicBase[..authorityStart] + variant + publicBase[pathStart..];
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
        // A form that does not even bind fails before any filter runs: unsigned, it is still a 403, not a 400.
        builder.WithMetadata(new BindingFailureOverride(http =>
            ActivatorUtilities.CreateInstance<TwilioSignatureFilter>(http.RequestServices).RefuseUnlessSignedAsync(http)));
        return builder;
    }
}
