using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Queue;

/// <summary>A database of its own: these tests reason about every waiting call in the queue.</summary>
public sealed class QueueTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    async Task<List<Guid>> QueueCallsAsync(LiveBusiness business, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var sid = $"CA{Guid.NewGuid():N}";
            (await app.IncomingCallAsync(sid, $"+7916{1_000_000 + i}", business.Line)).EnsureSuccessStatusCode();
            ids.Add(await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid));
        }
        return ids;
    }

    [Fact]
    public async Task ManyOperatorsClaimingAtOnceNeverShareOrSkipACall()
    {
        const int calls = 30;
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var queued = await QueueCallsAsync(business, calls);
        var operators = await Task.WhenAll(Enumerable.Range(0, calls + 10).Select(i => app.AvailableOperatorAsync($"Оператор {i}")));

        var responses = await Task.WhenAll(operators.Select(o => o.PostAsync("/api/console/calls/next", null, Ct)));

        var claimed = new List<Guid>();
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.OK))
            claimed.Add((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("callId").GetGuid());
        Assert.Equal(calls, claimed.Count);
        Assert.Equal(calls, claimed.Distinct().Count());
        Assert.Equal(queued.Order(), claimed.Order());
        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.NoContent));
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM calls WHERE status = 'Waiting'"));
        Assert.Equal((long)calls, await app.ScalarAsync<long>(
            "SELECT count(DISTINCT operator_id) FROM calls WHERE status = 'Claimed' AND business_id = $1", business.Id));
    }

    [Fact]
    public async Task AClaimAndAnOverflowOfTheSameCallNeverBothWin()
    {
        const int calls = 12;
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var queued = await QueueCallsAsync(business, calls);
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        var operators = await Task.WhenAll(Enumerable.Range(0, calls).Select(i => app.AvailableOperatorAsync($"Гонщик {i}")));

        var claimTasks = operators.Select(o => o.PostAsync("/api/console/calls/next", null, Ct)).ToList();
        var waitTasks = queued.Select(id => app.CallbackAsync($"/telephony/twilio/wait?call={id}", "CAx")).ToList();
        var claims = await Task.WhenAll(claimTasks);
        var waits = await Task.WhenAll(waitTasks);

        var claimedIds = new HashSet<Guid>();
        foreach (var claim in claims.Where(r => r.StatusCode == HttpStatusCode.OK))
            claimedIds.Add((await claim.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("callId").GetGuid());
        for (var i = 0; i < calls; i++)
        {
            var left = XDocument.Parse(await waits[i].Content.ReadAsStringAsync(Ct)).Root!.Elements().Single().Name.LocalName == "Leave";
            Assert.True(left ^ claimedIds.Contains(queued[i]), $"call {i}: left the queue = {left}, claimed = {claimedIds.Contains(queued[i])}");
            var status = await app.ScalarAsync<string>("SELECT status FROM calls WHERE id = $1", queued[i]);
            Assert.Equal(left ? "Fallback" : "Claimed", status);
        }
    }

    [Fact]
    public async Task TheQueueShowsWaitingCallsOldestFirstWithTheSlaCountingDown()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        await QueueCallsAsync(business, 2);
        app.Clock.Advance(TimeSpan.FromSeconds(12));
        var (operatorClient, _) = await app.NewOperatorAsync();

        var queue = await operatorClient.GetFromJsonAsync<JsonElement[]>("/api/console/queue", Ct);

        Assert.Equal(2, queue!.Length);
        Assert.Equal("Автосервис «Мотор»", queue[0].GetProperty("businessName").GetString());
        Assert.Equal(12, queue[0].GetProperty("waitingSeconds").GetInt32());
        Assert.Equal(18, queue[0].GetProperty("slaSecondsLeft").GetInt32());
    }
}
