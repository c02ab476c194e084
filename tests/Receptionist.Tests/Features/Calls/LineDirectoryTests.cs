using System.Diagnostics;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Features.Calls;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Calls;

/// <summary>
/// Each instance keeps the dialled line → business → live decision in memory (<see cref="LineDirectory"/>); a change
/// made anywhere reaches every instance through PostgreSQL's notifications, without a restart.
/// </summary>
public sealed class LineDirectoryTests(ScaledOutApp app) : IClassFixture<ScaledOutApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const string Caller = "+79161112244";

    static string NewSid() => $"CA{Guid.NewGuid():N}";

    async Task<string[]> AnswerToANewCallAsync(string line)
    {
        var response = await app.IncomingCallAsync(NewSid(), Caller, line);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, body);
        return [.. XDocument.Parse(body).Root!.Elements().Select(e => e.Name.LocalName)];
    }

    /// <summary>What each instance knows of the line, once both agree with <paramref name="expected"/> (at most 5 s).</summary>
    async Task<LineTarget?[]> BothInstancesKnowAsync(string line, Func<LineTarget?, bool> expected)
    {
        LineDirectory[] instances =
            [app.Services.GetRequiredService<LineDirectory>(), app.Second.Services.GetRequiredService<LineDirectory>()];
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var known = new LineTarget?[instances.Length];
            for (var i = 0; i < instances.Length; i++)
                known[i] = await instances[i].FindAsync(line, Ct);
            if (known.All(expected) || waited.Elapsed > TimeSpan.FromSeconds(5))
                return known;
            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task ABusinessThatStopsBeingLiveIsNoLongerAnsweredOnAnyInstanceAndComesBackWhenPaid()
    {
        var business = await app.NewBusinessAsync();
        var now = app.Clock.GetUtcNow();
        Assert.Equal(["Enqueue"], await AnswerToANewCallAsync(business.Line));
        Assert.All(await BothInstancesKnowAsync(business.Line, l => l?.LiveAt(now) == true), l => Assert.True(l!.LiveAt(now)));

        await app.ScalarAsync<object>("UPDATE subscriptions SET status = 'Canceled' WHERE business_id = $1", business.Id);

        Assert.All(await BothInstancesKnowAsync(business.Line, l => l?.LiveAt(now) == false), l => Assert.False(l!.LiveAt(now)));
        Assert.Equal(["Say", "Record", "Hangup"], await AnswerToANewCallAsync(business.Line));

        await app.PaySubscriptionAsync(business.Id);

        Assert.All(await BothInstancesKnowAsync(business.Line, l => l?.LiveAt(now) == true), l => Assert.True(l!.LiveAt(now)));
        Assert.Equal(["Enqueue"], await AnswerToANewCallAsync(business.Line));
    }

    [Fact]
    public async Task ARenamedBusinessAndARetiredLineAreHeardOnEveryInstance()
    {
        var business = await app.NewBusinessAsync();
        Assert.Equal(["Enqueue"], await AnswerToANewCallAsync(business.Line));

        await app.ScalarAsync<object>("UPDATE businesses SET name = 'Шиномонтаж' WHERE id = $1", business.Id);
        Assert.All(await BothInstancesKnowAsync(business.Line, l => l?.Name == "Шиномонтаж"), l => Assert.Equal("Шиномонтаж", l!.Name));

        await app.ScalarAsync<object>("UPDATE receptionist_lines SET retired_at = now() WHERE number = $1", business.Line);
        Assert.All(await BothInstancesKnowAsync(business.Line, l => l is null), Assert.Null);
        Assert.Equal(["Reject"], await AnswerToANewCallAsync(business.Line));
    }
}
