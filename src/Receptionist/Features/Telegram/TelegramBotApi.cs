using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Receptionist.Features.Telegram;

/// <summary>Telegram's answer to a Bot API method: ok with a result, or an error code, its description and, on 429,
/// how many seconds to wait.</summary>
public sealed record BotApiAnswer(bool Ok, JsonElement Result, int? ErrorCode, string? Description, int? RetryAfter);

/// <summary>The few Bot API methods we use, over HTTPS with the bot's token in the path (never logged).</summary>
public sealed class TelegramBotApi(HttpClient http, IOptions<TelegramOptions> options)
{
    public Task<BotApiAnswer> SendMessageAsync(JsonObject message, CancellationToken ct) => CallAsync("sendMessage", message, ct);

    public Task<BotApiAnswer> GetUpdatesAsync(long offset, int timeoutSeconds, CancellationToken ct) => CallAsync("getUpdates", new JsonObject
    {
        ["offset"] = offset, ["timeout"] = timeoutSeconds, ["allowed_updates"] = new JsonArray("message", "my_chat_member"),
    }, ct);

    public Task<BotApiAnswer> SetWebhookAsync(Uri url, string secret, CancellationToken ct) => CallAsync("setWebhook", new JsonObject
    {
        ["url"] = url.AbsoluteUri, ["secret_token"] = secret, ["allowed_updates"] = new JsonArray("message", "my_chat_member"),
    }, ct);

    public Task<BotApiAnswer> DeleteWebhookAsync(CancellationToken ct) => CallAsync("deleteWebhook", new JsonObject(), ct);

    async Task<BotApiAnswer> CallAsync(string method, JsonObject body, CancellationToken ct)
    {
        var url = $"{options.Value.ApiBaseUrl.TrimEnd('/')}/bot{options.Value.BotToken}/{method}";
        using var response = await http.PostAsJsonAsync(url, body, ct);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("ok", out var ok))
            throw new HttpRequestException($"Telegram answered {(int)response.StatusCode} without a Bot API result.");
        int? retryAfter = answer.TryGetProperty("parameters", out var parameters) && parameters.TryGetProperty("retry_after", out var wait)
            ? wait.GetInt32() : null;
        return new BotApiAnswer(ok.GetBoolean(), answer.TryGetProperty("result", out var result) ? result.Clone() : default,
            answer.TryGetProperty("error_code", out var code) ? code.GetInt32() : null,
            answer.TryGetProperty("description", out var description) ? description.GetString() : null, retryAfter);
    }
}
