using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Blocking;
using Receptionist.Features.Businesses;
using Receptionist.Features.Outbox;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Billing;

public static class BillingEndpoints
{
    public const string WebhookPath = "/billing/stripe/webhook";

    /// <summary>Plans, subscriptions, Stripe and usage reports (through the outbox: call AddOutbox too). Needs AddAppOptions().</summary>
    public static IServiceCollection AddBilling(this IServiceCollection services)
    {
        services.AddOptions<BillingOptions>().BindConfiguration("Billing").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StripeOptions>().BindConfiguration("Stripe").ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient(StripePaymentProvider.HttpClientName);
        services.AddScoped<StripePaymentProvider>();
        services.AddScoped<IPaymentProvider>(sp => sp.GetRequiredService<StripePaymentProvider>());
        services.AddScoped<StripeEventProcessor>();
        services.AddSingleton<SubscriptionLedger>();
        services.AddSingleton<BillingUsage>();
        services.AddOutboxHandler<UsageReportSender>(UsageReport.OutboxKind);
        return services;
    }

    public static IEndpointRouteBuilder MapBilling(this IEndpointRouteBuilder app)
    {
        // The price list is public, like any price list.
        app.MapGet("/api/billing/plans", ListPlans).WithTags("Billing").AllowAnonymous()
            .WithName(nameof(ListPlans)).WithSummary("The plans, cheapest first, with prices in rubles");

        var owner = app.MapGroup("/api/businesses/{id:guid}/billing").WithTags("Billing").RequireAuthorization(Policies.Owner);
        owner.MapGet("/", GetBilling).WithName(nameof(GetBilling))
            .WithSummary("Plan, subscription state, period and this period's calls");
        owner.MapPost("/checkout", StartCheckout).WithName(nameof(StartCheckout))
            .WithSummary("Open a payment page for a plan; answers its URL");
        owner.MapPost("/portal", OpenPortal).WithName(nameof(OpenPortal))
            .WithSummary("Open the payment provider's page for changing the card or cancelling; answers its URL");

        app.MapPost(WebhookPath, ReceiveStripeEvent).WithTags("Billing").AllowAnonymous()
            .AddEndpointFilter<StripeSignatureFilter>()
            .WithName(nameof(ReceiveStripeEvent)).WithSummary("Stripe webhook (signed)");
        return app;
    }

    static Ok<List<PlanResponse>> ListPlans(IOptions<BillingOptions> billing) =>
        TypedResults.Ok(billing.Value.Catalogue.Select(p => ToResponse(p.Key, p.Plan)).ToList());

    static async Task<Results<Ok<BillingSummary>, NotFound>> GetBilling(
        Guid id, AppDbContext db, CurrentUser owner, IOptions<BillingOptions> billing, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var subscription = await db.Set<Subscription>().AsNoTracking().FirstOrDefaultAsync(s => s.BusinessId == id, ct);
        var plan = subscription?.PlanKey is { } key && billing.Value.Plans.TryGetValue(key, out var p) ? ToResponse(key, p) : null;

        var (used, notBilled, notBilledSpam) = (0, 0, 0);
        if (subscription is { CurrentPeriodStart: { } start, CurrentPeriodEnd: { } end })
        {
            var counts = await BillingUsage.AnsweredIn(db, id, start, end)
                .GroupBy(c => c.Billable).Select(g => new { Billable = g.Key, Count = g.Count() }).ToListAsync(ct);
            used = counts.FirstOrDefault(c => c.Billable)?.Count ?? 0;
            // Spam within the fair-use allowance is not billed either, and is shown on its own line (Features/Blocking).
            notBilledSpam = await SpamBilling.MarksIn(db, id, start, end).CountAsync(m => !m.Billed, ct);
            notBilled = (counts.FirstOrDefault(c => !c.Billable)?.Count ?? 0) - notBilledSpam;
        }
        var overage = plan is null ? 0 : Math.Max(0, used - plan.IncludedCalls);
        var status = subscription?.Status ?? SubscriptionStatus.None;
        return TypedResults.Ok(new BillingSummary(
            plan,
            status,
            status == SubscriptionStatus.PastDue ? subscription!.GraceUntil : null,
            subscription is not null && Subscription.AnswersCallsAt(clock.GetUtcNow()).Compile()(subscription),
            subscription?.CurrentPeriodStart,
            subscription?.CurrentPeriodEnd,
            used,
            notBilled,
            notBilledSpam,
            overage,
            overage * (plan?.OverageRub ?? 0),
            subscription?.ProviderCustomerId is not null));
    }

    static async Task<Results<Ok<BillingRedirect>, NotFound, ValidationProblem, ProblemHttpResult>> StartCheckout(
        Guid id, CheckoutRequest request, AppDbContext db, CurrentUser owner, IPaymentProvider payments,
        IOptions<BillingOptions> billing, IOptions<AppOptions> app, CancellationToken ct)
    {
        var business = await db.OwnedBy(owner).Where(b => b.Id == id).Select(b => new { b.Id, b.Language }).FirstOrDefaultAsync(ct);
        if (business is null)
            return TypedResults.NotFound();
        if (request.Plan is not { } planKey || !billing.Value.Plans.ContainsKey(planKey))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["plan"] = [$"Choose one of: {string.Join(", ", billing.Value.Catalogue.Select(p => p.Key))}."],
            });
        var subscription = await db.Set<Subscription>().AsNoTracking().FirstOrDefaultAsync(s => s.BusinessId == id, ct);
        if (subscription?.Status is SubscriptionStatus.Active or SubscriptionStatus.PastDue)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already subscribed",
                detail: "This business has a subscription; change the plan or the card in the customer portal.");
        if (!payments.IsConfigured)
            return NotConfigured();

        var order = new CheckoutOrder(business.Id, planKey, subscription?.ProviderCustomerId, business.Language,
            app.Value.Url($"{OwnerEmails.CabinetPath}?billing=success#billing"), app.Value.Url($"{OwnerEmails.CabinetPath}?billing=canceled#billing"));
        var page = await OpenAsync(() => payments.StartCheckoutAsync(order, ct));
        return page.Succeeded ? TypedResults.Ok(page.Value) : page.Error;
    }

    static async Task<Results<Ok<BillingRedirect>, NotFound, ProblemHttpResult>> OpenPortal(
        Guid id, AppDbContext db, CurrentUser owner, IPaymentProvider payments, IOptions<AppOptions> app, CancellationToken ct)
    {
        if (!await db.OwnedBy(owner).AnyAsync(b => b.Id == id, ct))
            return TypedResults.NotFound();
        var customer = await db.Set<Subscription>().Where(s => s.BusinessId == id).Select(s => s.ProviderCustomerId).FirstOrDefaultAsync(ct);
        if (customer is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No subscription yet",
                detail: "Subscribe to a plan first.");
        if (!payments.IsConfigured)
            return NotConfigured();
        var page = await OpenAsync(() => payments.OpenCustomerPortalAsync(customer, app.Value.Url($"{OwnerEmails.CabinetPath}#billing"), ct));
        return page.Succeeded ? TypedResults.Ok(page.Value) : page.Error;
    }

    static async Task<Results<Ok, ProblemHttpResult>> ReceiveStripeEvent(HttpContext http, StripeEventProcessor processor, CancellationToken ct)
    {
        try
        {
            await processor.ProcessAsync(StripeSignatureFilter.VerifiedEvent(http), ct);
            return TypedResults.Ok();
        }
        catch (PaymentProviderException e)
        {
            // Stripe itself failed us while we re-read the subscription: Stripe retries the event later.
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Stripe could not be read", detail: e.Message);
        }
    }

    static async Task<Result<BillingRedirect, ProblemHttpResult>> OpenAsync(Func<Task<Uri>> open)
    {
        try
        {
            return new BillingRedirect((await open()).AbsoluteUri);
        }
        catch (PaymentProviderException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The payment provider failed", detail: e.Message);
        }
    }

    static ProblemHttpResult NotConfigured() => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Payments are not configured", detail: "Set Stripe__SecretKey to take payments.");


    static PlanResponse ToResponse(string key, PlanOptions plan) =>
        new(key, plan.NameForRequest, plan.PriceRub, plan.IncludedCalls, plan.OverageRub, "RUB");
}
