using System.Net;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Receptionist.Infrastructure;

/// <summary>
/// The proxy in front of production (section "Proxy"). Fly.io's edge terminates TLS and connects to the app
/// from its private network; only the networks listed here may tell the app the client's address and scheme.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>CIDR networks of the trusted proxies, e.g. Fly's 172.16.0.0/12 and fdaa::/16. Empty: loopback only.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>Single trusted proxy addresses.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>How many proxies in a row append to the forwarded-for header.</summary>
    public int ForwardLimit { get; set; } = 1;

    /// <summary>
    /// The header naming the client's address. Fly's proxy puts the client in Fly-Client-IP (its X-Forwarded-For
    /// ends with the app's own address), so fly.toml names that header.
    /// </summary>
    public string ForwardedForHeader { get; set; } = "X-Forwarded-For";
}

/// <summary>
/// HTTPS as seen through the proxy, cookies that are Secure wherever the request was HTTPS (always, in
/// Production), HSTS, and the headers that keep pages from being framed or sniffed.
/// </summary>
public static class WebSecurity
{
    /// <summary>
    /// Pages load only our own scripts; the console's softphone (Twilio Voice SDK, vendored) talks to Twilio's
    /// signalling over HTTPS and WebSocket and plays its sounds from Twilio's CDN. Nothing may frame a page.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "media-src 'self' blob: https://*.twilio.com https://media.twiliocdn.com; " +
        "connect-src 'self' https://*.twilio.com wss://*.twilio.com; worker-src 'self' blob:; " +
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public static WebApplicationBuilder AddWebSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration("Proxy")
            .Validate(p => p.KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)), "Proxy:KnownNetworks must be CIDR networks such as fdaa::/16.")
            .Validate(p => p.KnownProxies.All(a => IPAddress.TryParse(a, out _)), "Proxy:KnownProxies must be IP addresses.")
            .Validate(p => p.ForwardLimit is >= 1 and <= 10, "Proxy:ForwardLimit must be from 1 to 10.")
            .Validate(p => !string.IsNullOrWhiteSpace(p.ForwardedForHeader), "Proxy:ForwardedForHeader must name a header.")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxy) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = proxy.Value.ForwardLimit;
            forwarded.ForwardedForHeaderName = proxy.Value.ForwardedForHeader;
            foreach (var network in proxy.Value.KnownNetworks)
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            foreach (var address in proxy.Value.KnownProxies)
                forwarded.KnownProxies.Add(IPAddress.Parse(address));
        });
        builder.Services.AddHsts(hsts =>
        {
            hsts.MaxAge = TimeSpan.FromDays(365);
            hsts.IncludeSubDomains = true;
        });
        // Production is HTTPS at the edge, whatever the last hop says; elsewhere a plain-HTTP dev server must work.
        // After every other configuration of the cookie (Accounts sets SameAsRequest), so nothing can undo it.
        builder.Services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .PostConfigure<IHostEnvironment>((cookie, environment) =>
            {
                if (environment.IsProduction())
                    cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            });
        return builder;
    }

    /// <summary>First in the pipeline: everything after it sees the client's scheme and address.</summary>
    public static WebApplication UseWebSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
            app.UseHsts();
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                headers["Permissions-Policy"] = "camera=(), geolocation=(), microphone=(self)";
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }
}
