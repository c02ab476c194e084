using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity.Data;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Receptionist.Infrastructure;

/// <summary>One fixed-window limit: <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
public sealed class WindowLimit
{
    [Range(1, 1_000_000)]
    public int PermitLimit { get; set; }

    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; }
}

/// <summary>Limits on what is cheap to ask and expensive (or dangerous) to answer (section "Throttling").</summary>
public sealed class ThrottlingOptions
{
    /// <summary>Sign-in, registration, password reset and confirmation from one client address.</summary>
    [Required]
    public WindowLimit AccountsPerClient { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromMinutes(1) };

    /// <summary>The same, per email address whatever the client: guessing one account's password from many addresses.</summary>
    [Required]
    public WindowLimit AccountsPerEmail { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(5) };

    /// <summary>Scenario previews and saves per signed-in owner: each one renders owner-written templates.</summary>
    [Required]
    public WindowLimit TemplatesPerOwner { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };
}

/// <summary>
/// Throttling with the framework's rate limiter. Policies are named on the endpoints they protect; provider
/// webhooks name none and are never throttled (a refused Twilio webhook is a dropped call). Every refusal is a
/// 429 problem with Retry-After.
/// </summary>
public static class Throttling
{
    public const string AccountsPolicy = "accounts";
    public const string TemplatesPolicy = "templates";

    public static IServiceCollection AddThrottling(this IServiceCollection services)
    {
        services.AddOptions<ThrottlingOptions>().BindConfiguration("Throttling").ValidateDataAnnotations()
            .Validate(o => new[] { o.AccountsPerClient, o.AccountsPerEmail, o.TemplatesPerOwner }
                .All(l => l.PermitLimit > 0 && l.Window > TimeSpan.Zero), "Every Throttling limit needs PermitLimit > 0 and a positive Window.")
            .ValidateOnStart();
        services.AddSingleton<AccountThrottle>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(AccountsPolicy, context => Window(context, "client:" + ClientAddress(context),
                o => o.AccountsPerClient));
            // Per owner: so many renders a minute, and one at a time, so no owner's templates can take a share of the
            // machine (and of the claim's path) that grows with how many requests they send at once.
            limiter.AddPolicy(TemplatesPolicy, context =>
            {
                var owner = "owner:" + (context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? ClientAddress(context));
                var window = Window(context, owner, o => o.TemplatesPerOwner);
                return RateLimitPartition.Get(owner, key => RateLimiter.CreateChained(
                    window.Factory(key),
                    new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 1 })));
            });
            limiter.OnRejected = (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(60);
                return new ValueTask(TooManyRequests(retryAfter).ExecuteAsync(rejected.HttpContext));
            };
        });
        return services;
    }

    static RateLimitPartition<string> Window(HttpContext context, string key, Func<ThrottlingOptions, WindowLimit> pick)
    {
        var limit = pick(context.RequestServices.GetRequiredService<IOptions<ThrottlingOptions>>().Value);
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = limit.Window,
            QueueLimit = 0,
        });
    }

    /// <summary>The client's address as the forwarded-headers middleware established it (the proxy's own is not the client).</summary>
    static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>429 problem details with Retry-After in whole seconds, rounded up.</summary>
    public static ProblemHttpResultWithRetryAfter TooManyRequests(TimeSpan retryAfter, string? detail = null) => new(retryAfter,
        TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: detail ?? $"Try again in {Seconds(retryAfter)} seconds."));

    public static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));

    /// <summary>The throttle per email address on Identity's endpoints and ours that take one (an endpoint filter).</summary>
    public static TBuilder RequireAccountThrottle<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var email = context.Arguments.Select(EmailOf).FirstOrDefault(e => e is not null);
            if (email is null)
                return await next(context);
            var throttle = context.HttpContext.RequestServices.GetRequiredService<AccountThrottle>();
            return throttle.TryAcquire(email, out var retryAfter) ? await next(context) : TooManyRequests(retryAfter);
        });

    static string? EmailOf(object? argument) => argument switch
    {
        LoginRequest r => r.Email,
        ForgotPasswordRequest r => r.Email,
        ResendConfirmationEmailRequest r => r.Email,
        ResetPasswordRequest r => r.Email,
        IHasEmail r => r.Email,
        _ => null,
    };
}

/// <summary>A request of ours that names an account by its email (the per-email throttle reads it).</summary>
public interface IHasEmail
{
    string Email { get; }
}

/// <summary>Fixed windows per normalised email address, the same for existing and unknown accounts.</summary>
public sealed class AccountThrottle(IOptions<ThrottlingOptions> options) : IDisposable
{
    readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(email =>
        RateLimitPartition.GetFixedWindowLimiter(email, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.AccountsPerEmail.PermitLimit,
            Window = options.Value.AccountsPerEmail.Window,
            QueueLimit = 0,
        }));

    public bool TryAcquire(string email, out TimeSpan retryAfter)
    {
        using var lease = limiter.AttemptAcquire(email.Trim().ToUpperInvariant());
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.Value.AccountsPerEmail.Window;
        return lease.IsAcquired;
    }

    public void Dispose() => limiter.Dispose();
}

/// <summary>A problem-details result that also sets Retry-After (seconds), as RFC 9110 asks of a 429.</summary>
public sealed class ProblemHttpResultWithRetryAfter(TimeSpan retryAfter, ProblemHttpResult problem) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => StatusCodes.Status429TooManyRequests;

    public Task ExecuteAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = Throttling.Seconds(retryAfter).ToString(CultureInfo.InvariantCulture);
        return problem.ExecuteAsync(context);
    }
}
