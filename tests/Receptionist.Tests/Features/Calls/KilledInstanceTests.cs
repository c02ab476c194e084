using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Calls;

/// <summary>
/// The service as a separate process on the same database as the in-process instance, so that it can be killed
/// with SIGKILL between two steps of a call while the other instance finishes the call.
/// </summary>
public sealed class ProcessInstance : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();
    readonly string mailFolder;

    ProcessInstance(Process process, string baseUrl, string mailFolder)
    {
        this.process = process;
        this.mailFolder = mailFolder;
        BaseUrl = baseUrl;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string BaseUrl { get; }

    public HttpClient Client(HttpClient signedIn)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = signedIn.DefaultRequestHeaders.Authorization;
        return client;
    }

    /// <summary>Starts Receptionist.dll (built beside the tests) with the in-process instance's configuration.</summary>
    public static async Task<ProcessInstance> StartAsync(CallsApp twin)
    {
        var port = FreePort();
        var mail = Path.Combine(Path.GetTempPath(), $"receptionist-killed-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Receptionist.dll"));
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Default"] = twin.ConnectionString,
            ["Twilio__AccountSid"] = TelephonyApp.AccountSid,
            ["Twilio__AuthToken"] = TelephonyApp.AuthToken,
            ["Twilio__ApiBaseUrl"] = twin.Twilio.BaseUrl,
            ["App__PublicBaseUrl"] = TelephonyApp.PublicBaseUrl,
            ["Calls__ReconcileInterval"] = "01:00:00",
            // The steps here are claims by hand, as in the in-process twin (CallsApp).
            ["Routing__Push"] = "false",
            ["Smtp__PickupDirectory"] = mail,
            ["Logging__LogLevel__Default"] = "Warning",
        })
            start.Environment[key] = value;
        var instance = new ProcessInstance(Process.Start(start)!, $"http://127.0.0.1:{port}", mail);
        using var probe = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (instance.process.HasExited)
                throw new InvalidOperationException($"The instance exited with {instance.process.ExitCode}: {instance.Output()}");
            try
            {
                if ((await probe.GetAsync($"{instance.BaseUrl}/health/ready")).IsSuccessStatusCode)
                    return instance;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The instance did not become ready: {instance.Output()}");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL: no shutdown, no flushing, whatever it was doing.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    string Output()
    {
        lock (output)
            return output.ToString();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
            await KillAsync();
        process.Dispose();
        try { Directory.Delete(mailFolder, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

public sealed class KilledInstanceTests(CallsApp app) : IClassFixture<CallsApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    const string Caller = "+79165554433";

    /// <summary>The steps of an answered call, each sent to whichever instance is given.</summary>
    static readonly string[] Steps = ["voice", "wait", "claim", "bridge", "operator-leg", "dial-result", "status"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task AnInstanceKilledBetweenTwoStepsLeavesTheCallForTheOtherToFinish(int killedAfter)
    {
        var business = await app.NewBusinessAsync();
        await app.ClearQueueAsync();
        var operatorClient = await app.AvailableOperatorAsync();
        // The instances share a database, so they share a clock as far as the call record goes.
        app.Clock.SetUtcNow(DateTimeOffset.UtcNow);
        var sid = $"CA{Guid.NewGuid():N}";
        await using var doomed = await ProcessInstance.StartAsync(app);
        var callId = Guid.Empty;

        for (var i = 0; i < Steps.Length; i++)
        {
            if (i == killedAfter)
                await doomed.KillAsync();
            var onDoomed = i < killedAfter;
            var response = await SendAsync(Steps[i], onDoomed ? doomed : null, sid, callId, business, operatorClient);
            Assert.True(response.IsSuccessStatusCode,
                $"{Steps[i]} on the {(onDoomed ? "doomed" : "surviving")} instance: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            if (Steps[i] == "voice")
                callId = await app.ScalarAsync<Guid>("SELECT id FROM calls WHERE provider_call_id = $1", sid);
        }

        Assert.Equal("Ended", await app.ScalarAsync<string>("SELECT status FROM calls WHERE id = $1", callId));
        Assert.Equal("Answered", await app.ScalarAsync<string>("SELECT outcome FROM calls WHERE id = $1", callId));
        Assert.True(await app.ScalarAsync<bool>("SELECT billable FROM calls WHERE id = $1", callId));
        Assert.Equal(0L, await app.EmailsToAsync(business));
        Assert.Equal("wrapUp", (await operatorClient.GetFromJsonAsync<JsonElement>("/api/console/presence", Ct)).GetProperty("state").GetString());
    }

    async Task<HttpResponseMessage> SendAsync(string step, ProcessInstance? on, string sid, Guid callId, LiveBusiness business,
        HttpClient operatorClient)
    {
        if (step == "claim")
        {
            var client = on is null ? operatorClient : on.Client(operatorClient);
            return await client.PostAsync("/api/console/calls/next", null, Ct);
        }
        var (path, fields) = step switch
        {
            "voice" => ("/telephony/twilio/voice", new Dictionary<string, string> { ["To"] = business.Line, ["CallStatus"] = "ringing" }),
            "wait" => ($"/telephony/twilio/wait?call={callId}", []),
            "bridge" => ($"/telephony/twilio/bridge?call={callId}", []),
            "operator-leg" => ($"/telephony/twilio/operator-leg?call={callId}", new() { ["CallStatus"] = "in-progress" }),
            "dial-result" => ($"/telephony/twilio/dial-result?call={callId}", new() { ["DialCallStatus"] = "completed", ["DialCallDuration"] = "40" }),
            _ => ("/telephony/twilio/status", new Dictionary<string, string> { ["CallStatus"] = "completed" }),
        };
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = sid, ["AccountSid"] = TelephonyApp.AccountSid, ["From"] = Caller, ["To"] = "+74950000000",
            ["CallStatus"] = "in-progress", ["Direction"] = "inbound",
        };
        foreach (var (key, value) in fields)
            form[key] = value;
        var request = TwilioSigner.SignedForm(TelephonyApp.PublicBaseUrl, path, form, TelephonyApp.AuthToken);
        if (on is null)
            return await app.CreateClient().SendAsync(request, Ct);
        using var direct = new HttpClient { BaseAddress = new Uri(on.BaseUrl) };
        return await direct.SendAsync(request, Ct);
    }
}
