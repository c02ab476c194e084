using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using Receptionist.Data;
using Receptionist.Infrastructure;

namespace Receptionist.Features.ApiKeys;

public sealed record ApiKeyRequest([property: Required, MaxLength(ApiKey.NameLength)] string Name);

/// <param name="Key">Only in the answer that created it: store it now, it is not shown again.</param>
public sealed record ApiKeyView(Guid Id, string Name, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt, string? Key);

public static class ApiKeyEndpoints
{
    const string Selector = "ApiKeyOrIdentity";
    const int MaxKeysPerOwner = 20;

    public static IServiceCollection AddApiKeys(this IServiceCollection services)
    {
        services.AddOptions<ApiKeyOptions>().BindConfiguration("ApiKeys").ValidateDataAnnotations().ValidateOnStart();
        // An API key and Identity's own bearer tokens share the Authorization header: the key's prefix picks the scheme;
        // otherwise as Identity's default does, its bearer token when a header is sent, else its cookie.
        services.AddAuthentication(Selector)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(Selector, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString() is var header && header.StartsWith("Bearer " + ApiKey.Prefix, StringComparison.Ordinal)
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : header.Length > 0 ? IdentityConstants.BearerScheme : IdentityConstants.ApplicationScheme);
        services.AddSingleton<ApiKeyGate>();
        services.Configure<OpenApiOptions>("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer",
                    Description = "An owner's API key (rk_…, made in the cabinet): read-only access to that owner's businesses, " +
                        "calls and summaries, on the operations that list this scheme; rate-limited per key (ApiKeys:PermitLimit per ApiKeys:Window).",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiKeyReadable>().Any())
                    (operation.Security ??= []).Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [],
                    });
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>After authentication: API keys only read what they may, within their rate.</summary>
    public static WebApplication UseApiKeys(this WebApplication app)
    {
        var gate = app.Services.GetRequiredService<ApiKeyGate>();
        app.Use((context, next) => gate.InvokeAsync(context, next));
        return app;
    }

    /// <summary>Lets an owner's API key read this GET endpoint.</summary>
    public static RouteHandlerBuilder AllowApiKeys(this RouteHandlerBuilder builder) => builder.WithMetadata(new ApiKeyReadable());

    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder app)
    {
        var owner = app.MapGroup("/api/api-keys").WithTags("API keys").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", ListApiKeys).WithName(nameof(ListApiKeys));
        owner.MapPost("/", CreateApiKey).WithName(nameof(CreateApiKey)).WithSummary("A new key, shown once in this answer");
        owner.MapDelete("/{keyId:guid}", RevokeApiKey).WithName(nameof(RevokeApiKey));
        return app;
    }

    static async Task<Ok<List<ApiKeyView>>> ListApiKeys(AppDbContext db, CurrentUser owner, CancellationToken ct)
    {
        var ownerId = owner.Id;
        var keys = await db.Set<ApiKey>().Where(k => k.OwnerId == ownerId).OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(keys.Select(k => ToView(k, null)).ToList());
    }

    static async Task<Results<Created<ApiKeyView>, ValidationProblem>> CreateApiKey(
        ApiKeyRequest request, AppDbContext db, CurrentUser owner, TimeProvider clock, CancellationToken ct)
    {
        var ownerId = owner.Id;
        if (string.IsNullOrWhiteSpace(request.Name))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["Required."] });
        if (await db.Set<ApiKey>().CountAsync(k => k.OwnerId == ownerId && k.RevokedAt == null, ct) >= MaxKeysPerOwner)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["name"] = [$"At most {MaxKeysPerOwner} keys at a time; revoke one first."],
            });
        var secret = ApiKey.NewKey();
        var key = new ApiKey
        {
            OwnerId = ownerId, Name = request.Name.Trim(), Hash = ApiKey.HashOf(secret), Hint = secret[..8], CreatedAt = clock.GetUtcNow(),
        };
        db.Add(key);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/api-keys/{key.Id}", ToView(key, secret));
    }

    static async Task<Results<NoContent, NotFound>> RevokeApiKey(Guid keyId, AppDbContext db, CurrentUser owner, TimeProvider clock,
        CancellationToken ct)
    {
        var ownerId = owner.Id;
        var now = clock.GetUtcNow();
        var revoked = await db.Set<ApiKey>().Where(k => k.Id == keyId && k.OwnerId == ownerId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, k => k.RevokedAt ?? now), ct);
        return revoked > 0 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    static ApiKeyView ToView(ApiKey k, string? secret) => new(k.Id, k.Name, k.Hint + "…", k.CreatedAt, k.LastUsedAt, k.RevokedAt, secret);
}
