using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Webhooks;

/// <summary>
/// Turns an event into the calls a CRM understands. amoCRM: <c>POST /api/v4/leads/complex</c> (a lead with its contact,
/// name and work phone) with the account's long-lived token, then the summary as a common note on the lead. Bitrix24:
/// <c>crm.lead.add</c> on the portal's incoming-webhook URL (TITLE, NAME, PHONE [{VALUE, VALUE_TYPE: WORK}], COMMENTS).
/// </summary>
public static class CrmPresets
{
    // Cyrillic as UTF-8, not \u escapes: CRMs show request logs to people. Bodies are JSON, never HTML.
    static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>What the CRM answered; <paramref name="ExternalId"/> is a lead created on the way.</summary>
    public sealed record Outcome(HttpResponseMessage Response, string? ExternalId);

    public static async Task<Outcome> SendAsync(HttpClient http, WebhookEndpoint endpoint, WebhookDelivery delivery,
        CancellationToken ct)
    {
        var lead = Lead.From(OwnerEvents.Read(delivery.Body));
        return endpoint.Kind switch
        {
            WebhookKind.AmoCrm => await SendToAmoCrmAsync(http, endpoint, delivery.ExternalId, lead, ct),
            _ => new Outcome(await SendToBitrix24Async(http, endpoint, lead, ct), null),
        };
    }

    static async Task<Outcome> SendToAmoCrmAsync(HttpClient http, WebhookEndpoint endpoint, string? leadId, Lead lead,
        CancellationToken ct)
    {
        var account = endpoint.Url.TrimEnd('/');
        if (leadId is null)
        {
            var complex = new JsonArray(new JsonObject
            {
                ["name"] = lead.Title,
                ["_embedded"] = new JsonObject
                {
                    ["contacts"] = new JsonArray(new JsonObject
                    {
                        ["first_name"] = lead.Name,
                        ["custom_fields_values"] = new JsonArray(new JsonObject
                        {
                            ["field_code"] = "PHONE",
                            ["values"] = new JsonArray(new JsonObject { ["value"] = lead.Phone, ["enum_code"] = "WORK" }),
                        }),
                    }),
                },
            });
            var created = await http.SendAsync(AmoRequest($"{account}/api/v4/leads/complex", endpoint, complex), ct);
            if (!created.IsSuccessStatusCode)
                return new Outcome(created, null);
            var answer = await created.Content.ReadFromJsonAsync<JsonElement>(ct);
            leadId = answer.ValueKind == JsonValueKind.Array && answer.GetArrayLength() > 0
                     && answer[0].TryGetProperty("id", out var id) ? id.ToString() : null;
            if (leadId is null)
                return new Outcome(created, null);
        }
        var note = new JsonArray(new JsonObject
        {
            ["entity_id"] = long.Parse(leadId, System.Globalization.CultureInfo.InvariantCulture),
            ["note_type"] = "common",
            ["params"] = new JsonObject { ["text"] = lead.Comments },
        });
        return new Outcome(await http.SendAsync(AmoRequest($"{account}/api/v4/leads/notes", endpoint, note), ct), leadId);
    }

    static HttpRequestMessage AmoRequest(string url, WebhookEndpoint endpoint, JsonNode body) =>
        new(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(Json), Encoding.UTF8, "application/json"),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", endpoint.AccessToken) },
        };

    static Task<HttpResponseMessage> SendToBitrix24Async(HttpClient http, WebhookEndpoint endpoint, Lead lead, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["fields"] = new JsonObject
            {
                ["TITLE"] = lead.Title,
                ["NAME"] = lead.Name,
                ["PHONE"] = new JsonArray(new JsonObject { ["VALUE"] = lead.Phone, ["VALUE_TYPE"] = "WORK" }),
                ["COMMENTS"] = lead.Comments,
            },
        };
        return http.PostAsync($"{endpoint.Url.TrimEnd('/')}/crm.lead.add.json",
            new StringContent(body.ToJsonString(Json), Encoding.UTF8, "application/json"), ct);
    }

    /// <summary>The lead a call makes: the caller's name and call-back number from the summary when the operator took them.</summary>
    sealed record Lead(string Title, string Name, string Phone, string Comments)
    {
        public static Lead From(OwnerEvent e)
        {
            var fields = e.Data.Summary?.Fields ?? new Dictionary<string, string>();
            var name = fields.FirstOrDefault(f => f.Key.Contains("name", StringComparison.OrdinalIgnoreCase)).Value;
            var phone = fields.Values.FirstOrDefault(v => E164.TryParse(v, out var e164) && e164 == v) ?? e.Data.Call.CallerNumber;
            var title = e.Data.Summary is { } summary ? $"Звонок: {summary.OutcomeLabel}" : $"Пропущенный звонок {e.Data.Call.CallerNumber}";
            var lines = new List<string>();
            if (e.Data.Summary is { } s)
            {
                lines.Add($"Итог: {s.OutcomeLabel}");
                lines.AddRange(s.Fields.Select(f => $"{f.Key}: {f.Value}"));
                if (s.Note is { } note)
                    lines.Add($"Комментарий: {note}");
            }
            lines.Add($"Номер звонившего: {e.Data.Call.CallerNumber}");
            lines.Add($"Звонок в кабинете: {e.Data.Call.Url}");
            return new Lead(title, string.IsNullOrWhiteSpace(name) ? e.Data.Call.CallerNumber : name, phone, string.Join('\n', lines));
        }
    }
}
