using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Blocking;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;
using Receptionist.Features.Summaries;
using Receptionist.Features.Telegram;
using Receptionist.Features.Webhooks;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Digest;

/// <summary>
/// Makes the daily digests that are due: for each opted-in business whose local time has passed its digest time, the
/// previous local day's calls grouped by outcome, missed calls first, each with its summary and links. A day without
/// calls sends nothing. The day is claimed by one conditional update in the transaction that queues the messages, so
/// two instances, or a restart, never send a day twice.
/// </summary>
public sealed class DailyDigest(IServiceScopeFactory scopes, EmailTemplates templates, OwnerEvents events, BlockLinks blockLinks,
    IOptions<TelegramOptions> telegram, ILogger<DailyDigest> logger)
{
    public async Task<int> SendDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var candidates = await db.Set<DigestSettings>().Where(d => d.Enabled)
            .Join(db.Set<Business>(), d => d.BusinessId, b => b.Id, (d, b) => new { Settings = d, Business = b })
            .AsNoTracking().ToListAsync(ct);
        var sent = 0;
        foreach (var candidate in candidates)
        {
            var local = candidate.Business.LocalTime(now);
            var day = DateOnly.FromDateTime(local).AddDays(-1);
            if (TimeOnly.FromDateTime(local) < candidate.Settings.SendAt || candidate.Settings.LastDay >= day)
                continue;
            try
            {
                if (await SendAsync(db, candidate.Business, day, now, ct))
                    sent++;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // One business's failure does not hold up the others; its day is tried again at the next look.
                logger.LogError(e, "Daily digest for business {BusinessId} failed", candidate.Business.Id);
                db.ChangeTracker.Clear();
            }
        }
        return sent;
    }

    async Task<bool> SendAsync(AppDbContext db, Business business, DateOnly day, DateTimeOffset now, CancellationToken ct)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(business.TimeZone);
        var start = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue), zone), TimeSpan.Zero);
        var end = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(day.AddDays(1).ToDateTime(TimeOnly.MinValue), zone), TimeSpan.Zero);

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Set<DigestSettings>()
            .Where(d => d.BusinessId == business.Id && d.Enabled && (d.LastDay == null || d.LastDay < day))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LastDay, day), ct);
        if (claimed == 0)
            return false;
        var calls = await db.Set<Call>().Where(c => c.BusinessId == business.Id && c.ReceivedAt >= start && c.ReceivedAt < end && c.Status == CallStatus.Ended)
            .LeftJoin(db.Set<CallSummary>(), c => c.Id, s => s.CallId, (c, s) => new { Call = c, Summary = s })
            .OrderBy(x => x.Call.ReceivedAt).AsNoTracking().ToListAsync(ct);
        if (calls.Count > 0)
        {
            var english = business.Language.StartsWith("en", StringComparison.Ordinal);
            var groups = calls
                .GroupBy(x => GroupOf(x.Call.Outcome))
                .OrderBy(g => g.Key)
                .Select(g => new DigestGroup(Title(g.Key, english), [.. g.Select(x => new DigestCall(
                    business.LocalTime(x.Call.ReceivedAt).ToString("HH:mm", CultureInfo.InvariantCulture),
                    x.Call.CallerNumber,
                    x.Summary is { } s ? CallSummary.ShortText(s.OutcomeLabel, s.Note, s.Fields) : null,
                    events.Describe(x.Call).Url.AbsoluteUri,
                    E164.TryParse(x.Call.CallerNumber, out var number) && number == x.Call.CallerNumber && x.Call.Outcome != CallOutcome.Blocked
                        ? blockLinks.UrlFor(business.Id, number).AbsoluteUri : null))]))
                .ToList();
            var dayText = day.ToString(english ? "yyyy-MM-dd" : "dd.MM.yyyy", CultureInfo.InvariantCulture);
            if (business.SummaryEmails.Count > 0)
            {
                var email = templates.Render("digest", new { BusinessName = business.Name, Day = dayText, Total = calls.Count, Groups = groups, English = english });
                db.Add(OutboxMessage.Email(EmailMessage.Create(business.SummaryEmails, email), now));
            }
            await AddTelegramAsync(db, business, dayText, calls.Count, groups, english, now, ct);
            await db.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return calls.Count > 0;
    }

    async Task AddTelegramAsync(AppDbContext db, Business business, string day, int total, List<DigestGroup> groups, bool english,
        DateTimeOffset now, CancellationToken ct)
    {
        if (!telegram.Value.Enabled)
            return;
        var chatId = await db.Set<TelegramLink>().Where(l => l.BusinessId == business.Id).Select(l => l.ChatId).FirstOrDefaultAsync(ct);
        if (chatId is null)
            return;
        var lines = new List<(string Html, string? Value)>
        {
            ($"🗓 <b>{TelegramNotifier.Escape(english ? $"Calls of {day}" : $"Звонки за {day}")}</b> · {TelegramNotifier.Escape(business.Name)}: {total}", null),
        };
        foreach (var group in groups)
        {
            lines.Add(($"\n<b>{TelegramNotifier.Escape(group.Title)}</b>", null));
            lines.AddRange(group.Calls.Select(c => ($"{c.Time} ", (string?)(c.Summary is null ? c.Number : $"{c.Number} — {c.Summary}"))));
        }
        db.Add(OutboxMessage.Create(TelegramSender.OutboxKind, new TelegramMessage(chatId.Value, TelegramNotifier.Compose(lines), []), now));
    }

    /// <summary>Missed calls first: they are the ones the owner must act on.</summary>
    enum DigestGroupKind { Missed, Answered, Blocked }

    static DigestGroupKind GroupOf(CallOutcome? outcome) => outcome switch
    {
        CallOutcome.Answered => DigestGroupKind.Answered,
        CallOutcome.Blocked => DigestGroupKind.Blocked,
        _ => DigestGroupKind.Missed,
    };

    static string Title(DigestGroupKind kind, bool english) => (kind, english) switch
    {
        (DigestGroupKind.Missed, false) => "Пропущенные",
        (DigestGroupKind.Answered, false) => "Принятые",
        (DigestGroupKind.Blocked, false) => "Заблокированные",
        (DigestGroupKind.Missed, true) => "Missed",
        (DigestGroupKind.Answered, true) => "Answered",
        _ => "Blocked",
    };

    sealed record DigestGroup(string Title, List<DigestCall> Calls);

    sealed record DigestCall(string Time, string Number, string? Summary, string Url, string? BlockUrl);
}

/// <summary>Each instance looks for due digests every <see cref="DigestOptions.PollInterval"/>.</summary>
sealed class DailyDigestService(DailyDigest digest, IOptions<DigestOptions> options, TimeProvider clock, ILogger<DailyDigestService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.PollInterval, clock, stoppingToken);
                await digest.SendDueAsync(clock.GetUtcNow(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Looking for due digests failed; trying again at the next look");
            }
        }
    }
}
