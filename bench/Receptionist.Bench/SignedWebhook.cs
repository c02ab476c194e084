using Microsoft.Extensions.Primitives;
using Receptionist.Features.Telephony;

/// <summary>A form post signed as Twilio signs its webhooks, against the service's public URL.</summary>
static class SignedWebhook
{
    public static HttpRequestMessage Request(string authToken, string publicBaseUrl, string pathAndQuery, Dictionary<string, string> form)
    {
        var signature = TwilioSignature.Compute(authToken, publicBaseUrl + pathAndQuery,
            form.Select(f => new KeyValuePair<string, StringValues>(f.Key, f.Value)));
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.Header, signature);
        return request;
    }
}
