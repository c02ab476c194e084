using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Features.Webhooks;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Webhooks;

/// <summary>With the default settings (no loopback allowance), owners' URLs never reach our own or private networks.</summary>
public sealed class OwnerUrlGuardTests(CallsApp app) : IClassFixture<CallsApp>, IAsyncLifetime
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    FakeReceiver receiver = null!;

    public async ValueTask InitializeAsync() => receiver = await FakeReceiver.StartAsync();
    public ValueTask DisposeAsync() => receiver.DisposeAsync();

    [Fact]
    public async Task TheClientForOwnersUrlsRefusesLoopbackPrivateAndLinkLocalAddressesAfterResolvingThem()
    {
        var port = new Uri(receiver.BaseUrl).Port;
        var http = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(OwnerUrlGuard.ClientName);

        foreach (var url in new[]
                 {
                     $"http://127.0.0.1:{port}/hook", $"http://localhost:{port}/hook", $"http://[::1]:{port}/hook",
                     "http://10.0.0.1/hook", "http://192.168.1.1/hook", "http://169.254.169.254/latest/meta-data",
                 })
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(url, new StringContent("{}"), Ct));
            Assert.IsType<RefusedAddressException>(error.InnerException);
        }
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task AnEndpointAtAPrivateAddressIsRefusedAndOneWhoseNameResolvesToLoopbackFailsInTheLog()
    {
        var business = await app.NewBusinessAsync(live: false);
        var list = $"/api/businesses/{business.Id}/webhooks";
        var port = new Uri(receiver.BaseUrl).Port;

        var loopback = await business.Owner.PostAsJsonAsync(list, new { url = "https://127.0.0.1/hook", events = new[] { "call.missed" } }, Ct);
        var tenNet = await business.Owner.PostAsJsonAsync(list, new { url = "https://10.0.0.1/hook", events = new[] { "call.missed" } }, Ct);
        var plainLoopback = await business.Owner.PostAsJsonAsync(list, new { url = $"{receiver.BaseUrl}/hook", events = new[] { "call.missed" } }, Ct);
        var named = await business.Owner.PostAsJsonAsync(list, new { url = $"https://localhost:{port}/hook", events = new[] { "call.missed" } }, Ct);
        var endpointId = (await named.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        (await business.Owner.PostAsync($"{list}/{endpointId}/test", null, Ct)).EnsureSuccessStatusCode();

        Assert.Contains("url", (await loopback.AssertValidationProblemAsync()).Keys);
        Assert.Contains("url", (await tenNet.AssertValidationProblemAsync()).Keys);
        Assert.Contains("url", (await plainLoopback.AssertValidationProblemAsync()).Keys);
        Assert.Equal(HttpStatusCode.Created, named.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement delivery;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the test delivery was not attempted in time");
            await Task.Delay(50, Ct);
            delivery = (await business.Owner.GetFromJsonAsync<JsonElement>($"{list}/{endpointId}/deliveries", Ct))[0];
        } while (delivery.GetProperty("attempts").GetInt32() == 0);
        Assert.StartsWith("Refused: localhost resolves to", delivery.GetProperty("lastError").GetString());
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("lastStatusCode").ValueKind);
        Assert.Empty(receiver.Requests);
    }
}
