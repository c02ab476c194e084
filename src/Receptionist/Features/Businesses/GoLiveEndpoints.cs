using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Receptionist.Data;
using Receptionist.Features.Billing;
using Receptionist.Features.Lines;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Businesses;

public sealed record ChecklistItem(string Key, string Title, bool Done, string? Detail);

public sealed record GoLiveStatus(bool Live, IReadOnlyList<ChecklistItem> Items);

/// <summary>
/// What stands between a business and live calls. The incoming-call webhook applies the same rule in SQL
/// (line, forwarding verified, scenario chosen, subscription answering calls); calls to a business that is
/// not live go to its fallback.
/// </summary>
public static class GoLiveEndpoints
{
    public static IEndpointRouteBuilder MapGoLive(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/businesses/{id:guid}/status").WithTags("Businesses").RequireAuthorization(Policies.Owner)
            .MapGet("/", GetGoLiveStatus).WithName(nameof(GetGoLiveStatus))
            .WithSummary("The go-live checklist: what is done and what is missing");
        return app;
    }

    static async Task<Results<Ok<GoLiveStatus>, NotFound>> GetGoLiveStatus(
        Guid id, AppDbContext db, CurrentUser owner, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var row = await db.OwnedBy(owner).Where(b => b.Id == id).Select(b => new
        {
            b.ForwardingVerifiedAt,
            HasScenario = b.ScenarioVersionId != null,
            Line = db.Set<ReceptionistLine>().Where(l => l.BusinessId == b.Id && l.RetiredAt == null).Select(l => l.Number).FirstOrDefault(),
            Subscription = db.Set<Subscription>().Where(s => s.BusinessId == b.Id).Select(s => new { s.Status, s.GraceUntil }).FirstOrDefault(),
            AnswersCalls = db.Set<Subscription>().Where(s => s.BusinessId == b.Id).Any(Subscription.AnswersCallsAt(now)),
        }).FirstOrDefaultAsync(ct);
        if (row is null)
            return TypedResults.NotFound();

        // The owner reads this in the language of the page that asks (Accept-Language), not the callers' language.
        var ru = ProblemLocalization.IsRussian;
        string T(string russian, string english) => ru ? russian : english;
        ChecklistItem[] items =
        [
            new("profile", T("Профиль компании заполнен", "Business profile filled in"), true, null),
            new("line", T("Номер-секретарь выделен", "Receptionist line assigned"), row.Line is not null,
                // With an empty pool a line is bought once the subscription is paid (LineProvisioning).
                row.Line ?? (row.AnswersCalls ? T("номер подключается", "the line is being set up")
                    : T("ожидает номера: он будет выделен после оплаты подписки", "awaiting a line: one is assigned once the subscription is paid"))),
            new("forwarding", T("Переадресация проверена", "Forwarding checked"), row.ForwardingVerifiedAt is not null, null),
            new("scenario", T("Сценарий выбран", "Scenario chosen"), row.HasScenario, null),
            new("subscription", T("Подписка оплачена", "Subscription paid"), row.AnswersCalls,
                row.Subscription is { Status: SubscriptionStatus.PastDue, GraceUntil: { } grace } && row.AnswersCalls
                    ? T($"платёж не прошёл; звонки принимаются до {grace:yyyy-MM-dd HH:mm} UTC", $"payment failed; calls answered until {grace:yyyy-MM-dd HH:mm} UTC")
                    : row.Subscription?.Status switch
                    {
                        SubscriptionStatus.Active => T("активна", "active"),
                        SubscriptionStatus.PastDue => T("платёж не прошёл", "payment failed"),
                        SubscriptionStatus.Canceled => T("отменена", "canceled"),
                        _ => T("ещё не оплачена", "not paid yet"),
                    }),
        ];
        return TypedResults.Ok(new GoLiveStatus(items.All(i => i.Done), items));
    }
}
