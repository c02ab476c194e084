using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Outbox;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Telegram;

/// <param name="Enabled">A bot is configured; without one the cabinet cannot link a chat.</param>
public sealed record TelegramStatus(bool Enabled, bool Linked, string? ChatTitle, DateTimeOffset? LinkedAt);

/// <summary>Open this link (it opens the bot with /start and a one-time token), then press Start.</summary>
public sealed record TelegramLinkOffer(Uri Url, DateTimeOffset ExpiresAt);

public static class TelegramEndpoints
{
    public const string WebhookPath = "/telegram/webhook";
    const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    public static IServiceCollection AddTelegram(this IServiceCollection services)
    {
        services.AddOptions<TelegramOptions>().BindConfiguration("Telegram").ValidateDataAnnotations().ValidateOnStart();
        // Long polling holds a request for 25 s; the client's timeout leaves room for it.
        services.AddHttpClient<TelegramBotApi>(client => client.Timeout = TimeSpan.FromSeconds(40));
        services.AddScoped<TelegramUpdates>();
        services.AddSingleton<TelegramNotifier>();
        services.AddOutboxHandler<TelegramSender>(TelegramSender.OutboxKind);
        services.AddHostedService<TelegramBotConnection>();
        return services;
    }

    public static IEndpointRouteBuilder MapTelegram(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/telegram").WithTags("Telegram").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", GetTelegram).WithName(nameof(GetTelegram));
        owner.MapPost("/link", StartTelegramLink).WithName(nameof(StartTelegramLink))
            .WithSummary("A one-time deep link to the bot; the chat that presses Start gets this business's calls");
        owner.MapDelete("/", UnlinkTelegram).WithName(nameof(UnlinkTelegram));

        // Telegram's own header authenticates the webhook; the secret is ours, compared in fixed time.
        app.MapPost(WebhookPath, ReceiveTelegramUpdate).WithTags("Telegram").AllowAnonymous()
            .WithSummary("Telegram: a bot update (X-Telegram-Bot-Api-Secret-Token checked)");
        // Telegram's buttons open only http(s) links: this one hands the phone a tel: link.
        app.MapGet("/telegram/call", CallBack).WithTags("Telegram").AllowAnonymous()
            .WithSummary("Redirects to tel:<number>, for the call-back button of Telegram messages");
        return app;
    }

    static async Task<Results<Ok<TelegramStatus>, NotFound>> GetTelegram(
        Guid id, AppDbContext db, CurrentUser owner, IOptions<TelegramOptions> options, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var link = await db.Set<TelegramLink>().AsNoTracking().FirstOrDefaultAsync(l => l.BusinessId == id, ct);
        return TypedResults.Ok(new TelegramStatus(options.Value.Enabled, link?.ChatId is not null, link?.ChatTitle, link?.LinkedAt));
    }

    static async Task<Results<Ok<TelegramLinkOffer>, NotFound, ProblemHttpResult>> StartTelegramLink(
        Guid id, AppDbContext db, CurrentUser owner, IOptions<TelegramOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        if (!options.Value.Enabled)
            return TypedResults.Problem("No Telegram bot is configured for this service.", statusCode: StatusCodes.Status503ServiceUnavailable);
        var token = TelegramLink.NewToken();
        var expires = clock.GetUtcNow() + options.Value.LinkLifetime;
        var link = await db.Set<TelegramLink>().FirstOrDefaultAsync(l => l.BusinessId == id, ct);
        if (link is null)
            db.Add(link = new TelegramLink { BusinessId = id });
        link.PendingTokenHash = TelegramLink.Hash(token);
        link.PendingTokenExpiresAt = expires;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new TelegramLinkOffer(new Uri($"https://t.me/{options.Value.BotUsername}?start={token}"), expires));
    }

    static async Task<Results<NoContent, NotFound>> UnlinkTelegram(Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        await db.Set<TelegramLink>().Where(l => l.BusinessId == id).ExecuteDeleteAsync(ct);
        return TypedResults.NoContent();
    }

    static async Task<Results<Ok, ForbidHttpResult, UnauthorizedHttpResult>> ReceiveTelegramUpdate(
        HttpContext http, TelegramUpdates updates, IOptions<TelegramOptions> options, CancellationToken ct)
    {
        if (options.Value.WebhookSecret is not { } secret || !options.Value.Enabled)
            return TypedResults.Unauthorized();
        var given = http.Request.Headers[SecretHeader].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(secret)))
            return TypedResults.Unauthorized();
        JsonElement update;
        try
        {
            update = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            // Telegram retries what it could not deliver; an unreadable update never becomes readable.
            return TypedResults.Ok();
        }
        await updates.HandleAsync(update, ct);
        return TypedResults.Ok();
    }

    static Results<RedirectHttpResult, NotFound> CallBack(string? number) =>
        E164.TryParse(number, out var e164) && e164 == number ? TypedResults.Redirect($"tel:{e164}") : TypedResults.NotFound();
}
