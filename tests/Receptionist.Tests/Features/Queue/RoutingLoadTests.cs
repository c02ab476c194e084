using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Queue;

/// <summary>
/// Two instances with push routing on one database and one Twilio fake, sharing the test's clock (which stands still,
/// so no offer runs out and no call widens: what is checked is the routing statement under contention). The fake plays
/// no ringback polls, so a queued caller counts as heard for as long as the test runs.
/// </summary>
public sealed class RoutingLoadApp(PostgresServer postgres) : CallsApp(postgres)
{
    RoutingInstance? second;

    public ReceptionistApp Second => second ?? throw new InvalidOperationException("Not started.");

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() => [.. base.Settings(), .. Shared];

    IEnumerable<KeyValuePair<string, string?>> Shared =>
    [
        new("Routing:Push", "true"), new("Routing:SweepInterval", "01:00:00"),
        new("Calls:CallerSilenceSeconds", "300"), new("Calls:OverflowSeconds", "900"),
    ];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        second = new RoutingInstance(Postgres, this, [.. base.Settings(), .. Shared]);
        await second.InitializeAsync();
    }

    /// <summary>A Twilio webhook signed for the service, posted to one instance or the other.</summary>
    public Task<HttpResponseMessage> PostSignedToAsync(bool toSecond, string path, IDictionary<string, string> form) =>
        (toSecond ? Second.CreateClient() : CreateClient()).SendAsync(
            TwilioSigner.SignedForm(PublicBaseUrl, path, form, AuthToken), TestContext.Current.CancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (second is not null)
            await second.DisposeAsync();
        await base.DisposeAsync();
    }

    sealed class RoutingInstance(PostgresServer postgres, RoutingLoadApp first, IEnumerable<KeyValuePair<string, string?>> settings)
        : ReceptionistApp(postgres)
    {
        protected override Task<string> CreateDatabaseAsync() => Task.FromResult(first.ConnectionString);
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() => settings;
        protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(first.Clock);
    }
}

/// <summary>100 operators and 1,000 calls arriving at once across two instances.</summary>
public sealed class RoutingLoadTests(RoutingLoadApp app) : IClassFixture<RoutingLoadApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const int Operators = 100, Bilingual = 20, Calls = 1_000, EnglishEvery = 10;

    sealed record Offer(string Sid, Guid Operator);

    [Fact]
    public async Task EveryCallIsOfferedToExactlyOneOperatorAtATimeAndNoOperatorGetsTwo()
    {
        var russian = await app.NewBusinessAsync();
        var english = await app.NewBusinessAsync(profile: new
        {
            name = "Harbour Dental", protectedNumber = $"+7916{Random.Shared.Next(1_000_000, 9_999_999)}", timeZone = "Europe/Moscow",
            language = "en-US", summaryEmails = new[] { $"owner-{Guid.NewGuid():N}@example.com" },
        });
        await app.ClearQueueAsync();
        await app.ScalarAsync<object>("UPDATE operator_presence SET state = 'Offline'");
        var admin = await app.AdminAsync();
        var operators = new List<Guid>();
        for (var i = 0; i < Operators; i++)
        {
            var created = await admin.PostAsJsonAsync("/api/admin/staff", new
            {
                email = $"load-{i}-{Guid.NewGuid():N}@example.com", password = ReceptionistApp.OperatorPassword, displayName = $"Оператор {i}",
                role = "Operator", languages = i < Bilingual ? new[] { "ru-RU", "en-US" } : new[] { "ru-RU" },
            }, Ct);
            created.EnsureSuccessStatusCode();
            operators.Add((await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid());
        }
        var bilingual = operators.Take(Bilingual).ToHashSet();
        // Idle order: operator i has been available since i seconds after the first.
        var idleSince = app.Clock.GetUtcNow().AddHours(-1);
        for (var i = 0; i < Operators; i++)
            await app.ScalarAsync<object>("UPDATE operator_presence SET state = 'Available', updated_at = $2 WHERE operator_id = $1",
                operators[i], idleSince.AddSeconds(i));

        var openOffer = new ConcurrentDictionary<Guid, string>();     // operator → the call ringing for them
        var offers = new ConcurrentQueue<Offer>();
        var violations = new ConcurrentQueue<string>();
        var englishSids = new ConcurrentDictionary<string, bool>();
        var done = new ConcurrentDictionary<string, bool>();

        // Plays Twilio for an offer: the operator's console rang (TwiML named them); the caller then hangs up while it
        // rings (the Dial's action says so), which ends the offer and frees the operator for the next one.
        async Task OfferedAsync(string sid, XElement twiml, bool toSecond)
        {
            if (twiml.Element("Dial")?.Element("Client")?.Value is not { } identity)
                return;
            var operatorId = Guid.ParseExact(identity["operator-".Length..], "N");
            offers.Enqueue(new Offer(sid, operatorId));
            if (!openOffer.TryAdd(operatorId, sid))
                violations.Enqueue($"operator {operatorId} offered {sid} while {openOffer[operatorId]} rang");
            if (englishSids.ContainsKey(sid) && !bilingual.Contains(operatorId))
                violations.Enqueue($"English call {sid} offered to an operator who speaks only Russian before any widening");
            openOffer.TryRemove(operatorId, out _);
            var dialAction = new Uri(twiml.Element("Dial")!.Attribute("action")!.Value).PathAndQuery;
            (await app.PostSignedToAsync(toSecond, dialAction, Form(sid, ("CallStatus", "completed"), ("DialCallStatus", "canceled"))))
                .EnsureSuccessStatusCode();
            done[sid] = true;
        }

        var arrivals = Enumerable.Range(0, Calls).Select(i => (Sid: $"CA{Guid.NewGuid():N}", English: i % EnglishEvery == 0, Index: i)).ToList();
        foreach (var a in arrivals.Where(a => a.English))
            englishSids[a.Sid] = true;
        using (var gate = new SemaphoreSlim(16))
            await Task.WhenAll(arrivals.Select(async a =>
            {
                await gate.WaitAsync(Ct);
                try
                {
                    var toSecond = a.Index % 2 == 1;
                    var response = await app.PostSignedToAsync(toSecond, "/telephony/twilio/voice", Form(a.Sid,
                        ("From", $"+7916{2_000_000 + a.Index}"), ("To", a.English ? english.Line : russian.Line), ("CallStatus", "ringing")));
                    var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).Root!;
                    await OfferedAsync(a.Sid, twiml, toSecond);
                }
                finally { gate.Release(); }
            }));

        // The queued callers: each redirect the routers make is Twilio fetching the bridge, which rings the operator.
        var bridged = new HashSet<string>();
        for (var round = 0; done.Count < Calls && round < 600; round++)
        {
            var redirects = app.Twilio.Requests
                .Where(r => r.Method == "POST" && r.Form.GetValueOrDefault("Url", "").Contains("/telephony/twilio/bridge?call=", StringComparison.Ordinal))
                .Select(r => (Sid: r.Path[(r.Path.LastIndexOf('/') + 1)..^".json".Length], Url: new Uri(r.Form["Url"])))
                .Where(r => bridged.Add(r.Sid)).ToList();
            if (redirects.Count == 0)
            {
                await Task.Delay(100, Ct);
                continue;
            }
            await Task.WhenAll(redirects.Select(async (r, i) =>
            {
                var toSecond = i % 2 == 1;
                var response = await app.PostSignedToAsync(toSecond, r.Url.PathAndQuery, Form(r.Sid));
                await OfferedAsync(r.Sid, XDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).Root!, toSecond);
            }));
        }

        Assert.Empty(violations);
        Assert.Equal(Calls, done.Count);
        // Each call rang exactly one operator, once (none ran out here), and each was redirected at most once.
        Assert.Equal(Calls, offers.Count);
        Assert.Equal(Calls, offers.Select(o => o.Sid).Distinct().Count());
        Assert.DoesNotContain(app.Twilio.Requests.Where(r => r.Form.ContainsKey("Url")).GroupBy(r => r.Path), g => g.Count() > 1);
        Assert.Equal(0L, await app.ScalarAsync<long>(
            "SELECT count(*) FROM calls WHERE business_id IN ($1, $2) AND status <> 'Ended'", russian.Id, english.Id));
        // Every operator took part, and the first hundred offers went to the hundred operators, each once.
        Assert.Equal(Operators, offers.Select(o => o.Operator).Distinct().Count());
    }

    [Fact]
    public async Task OneCallAtATimeGoesToTheOperatorIdleLongest()
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        await app.ScalarAsync<object>("UPDATE operator_presence SET state = 'Offline'");
        var admin = await app.AdminAsync();
        var operators = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            var created = await admin.PostAsJsonAsync("/api/admin/staff", new
            {
                email = $"idle-{i}-{Guid.NewGuid():N}@example.com", password = ReceptionistApp.OperatorPassword, displayName = "Оператор", role = "Operator",
            }, Ct);
            operators.Add((await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid());
        }
        // Available since in a shuffled order: the offers must follow it, not the order of creation.
        var order = operators.OrderBy(_ => Random.Shared.Next()).ToList();
        for (var i = 0; i < order.Count; i++)
            await app.ScalarAsync<object>("UPDATE operator_presence SET state = 'Available', updated_at = $2 WHERE operator_id = $1",
                order[i], app.Clock.GetUtcNow().AddMinutes(-30).AddSeconds(i));

        var offered = new List<Guid>();
        for (var i = 0; i < order.Count; i++)
        {
            var sid = $"CA{Guid.NewGuid():N}";
            var response = await app.PostSignedToAsync(i % 2 == 1, "/telephony/twilio/voice", Form(sid,
                ("From", $"+7916{3_000_000 + i}"), ("To", business.Line), ("CallStatus", "ringing")));
            var identity = XDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).Root!.Element("Dial")!.Element("Client")!.Value;
            offered.Add(Guid.ParseExact(identity["operator-".Length..], "N"));
        }

        Assert.Equal(order, offered);
    }

    static Dictionary<string, string> Form(string sid, params (string Key, string Value)[] fields)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = sid, ["AccountSid"] = TelephonyApp.AccountSid, ["From"] = "+79160000000", ["To"] = "+74950000000",
            ["CallStatus"] = "in-progress", ["Direction"] = "inbound",
        };
        foreach (var (key, value) in fields)
            form[key] = value;
        return form;
    }
}
