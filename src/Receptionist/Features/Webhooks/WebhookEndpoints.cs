using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Businesses;
using Receptionist.Features.Outbox;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Webhooks;

public static class WebhookRequestLimits
{
    public const int TokenLength = 2000;
}

/// <param name="Kind">signed (default), amoCrm or bitrix24.</param>
/// <param name="Url">Signed: the HTTPS URL to post events to. amoCRM: the account's address (https://name.amocrm.ru).
/// Bitrix24: the incoming-webhook URL (https://portal.bitrix24.ru/rest/1/code/).</param>
/// <param name="AccessToken">amoCRM's long-lived token.</param>
public sealed record WebhookEndpointRequest(
    [property: Required, MaxLength(WebhookEndpoint.UrlLength)] string Url,
    [property: Required, MinLength(1), MaxLength(4)] string[] Events,
    [property: MaxLength(16)] string? Kind = null,
    [property: MaxLength(WebhookRequestLimits.TokenLength)] string? AccessToken = null);

/// <param name="Secret">Only when just created or rotated: store it, it is not shown again.</param>
public sealed record WebhookEndpointView(Guid Id, WebhookKind Kind, string Url, IReadOnlyList<string> Events, string SecretHint,
    string? Secret, DateTimeOffset CreatedAt);

public sealed record WebhookDeliveryView(Guid Id, string EventId, string EventType, DeliveryState State, int Attempts,
    int? LastStatusCode, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? DeliveredAt);

public static class WebhookEndpoints
{
    const int DeliveryLogLength = 100;

    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration("Webhooks").ValidateDataAnnotations().ValidateOnStart();
        services.AddOwnerUrlClient();
        services.AddSingleton<OwnerEvents>();
        services.AddOutboxHandler<WebhookSender>(WebhookSender.OutboxKind);
        return services;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/businesses/{id:guid}/webhooks").WithTags("Webhooks").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", ListWebhookEndpoints).WithName(nameof(ListWebhookEndpoints));
        owner.MapPost("/", AddWebhookEndpoint).WithName(nameof(AddWebhookEndpoint))
            .WithSummary("Add an endpoint (signed JSON, amoCRM or Bitrix24) for some events; the signing secret is shown once");
        owner.MapDelete("/{endpointId:guid}", RemoveWebhookEndpoint).WithName(nameof(RemoveWebhookEndpoint));
        owner.MapPost("/{endpointId:guid}/rotate-secret", RotateWebhookSecret).WithName(nameof(RotateWebhookSecret))
            .WithSummary("A new signing secret, shown once; the old one still signs for 24 hours");
        owner.MapPost("/{endpointId:guid}/test", SendTestEvent).WithName(nameof(SendTestEvent))
            .WithSummary("Send a sample summary.created event (marked test) to the endpoint");
        owner.MapGet("/{endpointId:guid}/deliveries", ListDeliveries).WithName(nameof(ListDeliveries))
            .WithSummary($"The endpoint's delivery log, newest first, at most {DeliveryLogLength}");
        owner.MapPost("/{endpointId:guid}/deliveries/{deliveryId:guid}/resend", ResendDelivery).WithName(nameof(ResendDelivery))
            .WithSummary("Send a delivery again: the same event id and body, a fresh 24 hours of retries");
        return app;
    }

    static async Task<Results<Ok<List<WebhookEndpointView>>, NotFound>> ListWebhookEndpoints(
        Guid id, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var endpoints = await db.Set<WebhookEndpoint>().Where(e => e.BusinessId == id).OrderBy(e => e.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(endpoints.Select(e => ToView(e, showSecret: false)).ToList());
    }

    static async Task<Results<Created<WebhookEndpointView>, NotFound, ValidationProblem>> AddWebhookEndpoint(
        Guid id, WebhookEndpointRequest request, AppDbContext db, CurrentUser owner, IOptions<WebhookOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var kind = WebhookKind.Signed;
        if (request.Kind is not null && !JsonConventions.TryParseName(request.Kind, out kind))
            errors["kind"] = ["Must be one of: signed, amoCrm, bitrix24."];
        if (!IsAcceptableUrl(request.Url, options.Value.AllowLoopbackForTests))
            errors["url"] = ["Must be an https:// address on the internet, without a user name or password."];
        for (var i = 0; i < request.Events.Length; i++)
            if (!OwnerEventTypes.All.Contains(request.Events[i]))
                errors[$"events[{i}]"] = [$"Must be one of: {string.Join(", ", OwnerEventTypes.All)}."];
        if (kind == WebhookKind.AmoCrm && string.IsNullOrWhiteSpace(request.AccessToken))
            errors["accessToken"] = ["amoCRM needs the account's long-lived token."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        if (await db.Set<WebhookEndpoint>().CountAsync(e => e.BusinessId == id, ct) >= WebhookEndpoint.MaxPerBusiness)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["url"] = [$"A business has at most {WebhookEndpoint.MaxPerBusiness} endpoints; remove one first."],
            });
        var endpoint = new WebhookEndpoint
        {
            BusinessId = id, Kind = kind, Url = request.Url, Events = [.. request.Events.Distinct()],
            Secret = WebhookEndpoint.NewSecret(), AccessToken = kind == WebhookKind.AmoCrm ? request.AccessToken!.Trim() : null,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/businesses/{id}/webhooks/{endpoint.Id}", ToView(endpoint, showSecret: true));
    }

    static async Task<Results<NoContent, NotFound>> RemoveWebhookEndpoint(
        Guid id, Guid endpointId, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var ownerId = owner.Id;
        var removed = await db.Set<WebhookEndpoint>()
            .Where(e => e.Id == endpointId && e.BusinessId == id && db.Set<Business>().Any(b => b.Id == id && b.OwnerId == ownerId))
            .ExecuteDeleteAsync(ct);
        return removed > 0 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    static async Task<Results<Ok<WebhookEndpointView>, NotFound>> RotateWebhookSecret(
        Guid id, Guid endpointId, AppDbContext db, CurrentUser owner, TimeProvider clock, CancellationToken ct)
    {
        if (await OwnedEndpointAsync(db, owner, id, endpointId, ct) is not { } endpoint)
            return TypedResults.NotFound();
        endpoint.PreviousSecret = endpoint.Secret;
        endpoint.PreviousSecretExpiresAt = clock.GetUtcNow().AddHours(24);
        endpoint.Secret = WebhookEndpoint.NewSecret();
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToView(endpoint, showSecret: true));
    }

    static async Task<Results<Accepted<WebhookDeliveryView>, NotFound>> SendTestEvent(
        Guid id, Guid endpointId, AppDbContext db, CurrentUser owner, OwnerEvents events, IOptions<AppOptions> app,
        TimeProvider clock, CancellationToken ct)
    {
        if (await OwnedEndpointAsync(db, owner, id, endpointId, ct) is not { } endpoint)
            return TypedResults.NotFound();
        var now = clock.GetUtcNow();
        var sample = new EventData(
            new EventCall(Guid.Empty, "+79990000000", "answered", now.AddMinutes(-5), now.AddMinutes(-5), now.AddMinutes(-3), 4,
                app.Value.Url($"/owner/#business={id}")),
            new EventSummary("message_taken", "Сообщение принято",
                new Dictionary<string, string> { ["caller_name"] = "Тестовый звонок", ["callback_number"] = "+79990000000" },
                "Это проверка интеграции / an integration test"));
        var delivery = OwnerEvents.Enqueue(db, endpoint, events.NewEvent(OwnerEventTypes.SummaryCreated, id, sample, now, test: true), now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Accepted((string?)null, ToView(delivery));
    }

    static async Task<Results<Ok<List<WebhookDeliveryView>>, NotFound>> ListDeliveries(
        Guid id, Guid endpointId, AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        if (await OwnedEndpointAsync(db, owner, id, endpointId, ct) is null)
            return TypedResults.NotFound();
        var deliveries = await db.Set<WebhookDelivery>().Where(d => d.EndpointId == endpointId)
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).Take(DeliveryLogLength).ToListAsync(ct);
        return TypedResults.Ok(deliveries.Select(ToView).ToList());
    }

    static async Task<Results<Accepted<WebhookDeliveryView>, NotFound>> ResendDelivery(
        Guid id, Guid endpointId, Guid deliveryId, AppDbContext db, CurrentUser owner, TimeProvider clock, CancellationToken ct)
    {
        if (await OwnedEndpointAsync(db, owner, id, endpointId, ct) is null)
            return TypedResults.NotFound();
        var delivery = await db.Set<WebhookDelivery>().FirstOrDefaultAsync(d => d.Id == deliveryId && d.EndpointId == endpointId, ct);
        if (delivery is null)
            return TypedResults.NotFound();
        var now = clock.GetUtcNow();
        delivery.State = DeliveryState.Pending;
        db.Add(OutboxMessage.Create(WebhookSender.OutboxKind, new WebhookJob(delivery.Id), now));
        await db.SaveChangesAsync(ct);
        return TypedResults.Accepted((string?)null, ToView(delivery));
    }

    static Task<WebhookEndpoint?> OwnedEndpointAsync(AppDbContext db, CurrentUser owner, Guid businessId, Guid endpointId,
        CancellationToken ct) =>
        db.OwnedBy(owner).Where(b => b.Id == businessId)
            .Join(db.Set<WebhookEndpoint>(), b => b.Id, e => e.BusinessId, (b, e) => e)
            .FirstOrDefaultAsync(e => e.Id == endpointId, ct);

    /// <summary>HTTPS to a named host or a public address. The address a name resolves to is checked on every delivery
    /// (<see cref="OwnerUrlGuard"/>); tests' loopback receivers speak plain HTTP.</summary>
    static bool IsAcceptableUrl(string url, bool allowLoopbackForTests)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
            return false;
        if (System.Net.IPAddress.TryParse(uri.IdnHost, out var literal) && !OwnerUrlGuard.IsAllowed(literal, allowLoopbackForTests))
            return false;
        return uri.Scheme == Uri.UriSchemeHttps || (allowLoopbackForTests && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback);
    }

    static WebhookEndpointView ToView(WebhookEndpoint e, bool showSecret) =>
        new(e.Id, e.Kind, e.Url, e.Events, $"…{e.Secret[^4..]}", showSecret ? e.Secret : null, e.CreatedAt);

    static WebhookDeliveryView ToView(WebhookDelivery d) =>
        new(d.Id, d.EventId, d.EventType, d.State, d.Attempts, d.LastStatusCode, d.LastError, d.CreatedAt, d.LastAttemptAt, d.DeliveredAt);
}
