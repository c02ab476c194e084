using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Blocking;
using Receptionist.Features.Businesses;
using Receptionist.Features.Outbox;
using Receptionist.Features.Webhooks;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Telegram;

/// <summary>A Bot API sendMessage waiting in the outbox.</summary>
public sealed record TelegramMessage(long ChatId, string Text, IReadOnlyList<TelegramButton> Buttons);

public sealed record TelegramButton(string Text, string Url);

/// <summary>
/// Puts a business's summaries and missed calls into its linked chat, through the outbox in the transaction of the
/// change: HTML with every value escaped, under Telegram's 4,096 characters, with buttons to call back, open the call
/// in the cabinet and block the caller.
/// </summary>
public sealed class TelegramNotifier(IOptions<TelegramOptions> options, IOptions<AppOptions> app, BlockLinks blockLinks, TimeProvider clock)
{
    /// <summary>Telegram refuses longer texts (4,096 after entity parsing); this leaves room.</summary>
    public const int MaxText = 4000;

    public async Task AddAsync(AppDbContext db, string type, Guid businessId, EventData data, CancellationToken ct)
    {
        if (!options.Value.Enabled || type is not (OwnerEventTypes.SummaryCreated or OwnerEventTypes.CallMissed))
            return;
        var target = await db.Set<TelegramLink>().Where(l => l.BusinessId == businessId && l.ChatId != null)
            .Join(db.Set<Business>(), l => l.BusinessId, b => b.Id, (l, b) => new { l.ChatId, Business = b })
            .FirstOrDefaultAsync(ct);
        if (target is null)
            return;
        var business = target.Business;
        var english = business.Language.StartsWith("en", StringComparison.Ordinal);
        var call = data.Call;
        var lines = new List<(string Html, string? Value)>
        {
            (type == OwnerEventTypes.CallMissed
                ? $"❗ <b>{Escape(english ? "Missed call" : "Пропущенный звонок")}</b> · {Escape(business.Name)}"
                : $"📞 <b>{Escape(english ? "Call summary" : "Итоги звонка")}</b> · {Escape(business.Name)}", null),
            ($"{Escape(english ? "Number" : "Номер")}: ", call.CallerNumber),
            ($"{Escape(english ? "Time" : "Время")}: ", business.LocalTime(call.ReceivedAt).ToString(english ? "yyyy-MM-dd HH:mm" : "dd.MM.yyyy HH:mm")),
        };
        if (data.Summary is { } summary)
        {
            lines.Add(($"{Escape(english ? "Outcome" : "Итог")}: ", summary.OutcomeLabel));
            lines.AddRange(summary.Fields.Select(f => ($"{Escape(f.Key)}: ", (string?)f.Value)));
            if (summary.Note is { } note)
                lines.Add(($"{Escape(english ? "Note" : "Комментарий")}: ", note));
        }
        var buttons = new List<TelegramButton>();
        if (E164.TryParse(call.CallerNumber, out var number) && number == call.CallerNumber)
            buttons.Add(new(english ? "Call back" : "Перезвонить", app.Value.Url($"/telegram/call?number={Uri.EscapeDataString(number)}").AbsoluteUri));
        buttons.Add(new(english ? "Open in the cabinet" : "Открыть в кабинете", call.Url.AbsoluteUri));
        if (buttons.Count == 2)
            buttons.Add(new(english ? "Block this caller" : "Заблокировать номер", blockLinks.UrlFor(businessId, number).AbsoluteUri));
        db.Add(OutboxMessage.Create(TelegramSender.OutboxKind, new TelegramMessage(target.ChatId!.Value, Compose(lines), buttons),
            clock.GetUtcNow()));
    }

    /// <summary>Line by line, each value escaped; a value that would pass the limit is cut (before escaping, so no
    /// entity or tag is ever cut in half) and nothing after it is sent.</summary>
    public static string Compose(IEnumerable<(string Html, string? Value)> lines)
    {
        var text = new StringBuilder();
        foreach (var (html, value) in lines)
        {
            var line = (text.Length > 0 ? "\n" : "") + html + Escape(value ?? "");
            if (text.Length + line.Length <= MaxText)
            {
                text.Append(line);
                continue;
            }
            var raw = value ?? "";
            while (raw.Length > 0 && text.Length + ("\n" + html + Escape(raw) + "…").Length > MaxText)
                raw = raw[..(raw.Length * 3 / 4)];
            if (raw.Length > 0)
                text.Append('\n').Append(html).Append(Escape(raw)).Append('…');
            break;
        }
        return text.ToString();
    }

    /// <summary>Telegram's HTML mode needs &amp;, &lt; and &gt; escaped (and quotes, inside attributes); everything else,
    /// Cyrillic and « » included, goes as it is (WebUtility.HtmlEncode would spell those as numeric entities).</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    public static JsonObject ToSendMessage(TelegramMessage message) => new()
    {
        ["chat_id"] = message.ChatId,
        ["text"] = message.Text,
        ["parse_mode"] = "HTML",
        ["link_preview_options"] = new JsonObject { ["is_disabled"] = true },
        ["reply_markup"] = new JsonObject
        {
            ["inline_keyboard"] = new JsonArray([.. message.Buttons.Select(b =>
                (JsonNode)new JsonArray(new JsonObject { ["text"] = b.Text, ["url"] = b.Url }))]),
        },
    };
}
