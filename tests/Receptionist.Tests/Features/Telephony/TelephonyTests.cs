using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Options;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Telephony;

public sealed class TelephonyTests(TelephonyApp app) : IClassFixture<TelephonyApp>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static Dictionary<string, string> StatusForm(string callSid) => new()
    {
        ["CallSid"] = callSid,
        ["AccountSid"] = TelephonyApp.AccountSid,
        ["From"] = "+74951234567",
        ["To"] = "+74957654321",
        ["CallStatus"] = "completed",
        ["Direction"] = "inbound",
        ["CallDuration"] = "42",
    };

    static string NewCallSid() => "CA" + Guid.NewGuid().ToString("N");

    ITelephonyProvider Provider() => app.Services.CreateScope().ServiceProvider.GetRequiredService<ITelephonyProvider>();

    // --- signatures ---

    [Fact]
    public void SignatureMatchesTwiliosPublishedExample()
    {
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = "CA1234567890ABCDE",
            ["Caller"] = "+12349013030",
            ["Digits"] = "1234",
            ["From"] = "+12349013030",
            ["To"] = "+18005551212",
        };
        var parameters = form.ToDictionary(f => f.Key, f => new StringValues(f.Value));

        Assert.Equal("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", TwilioSignature.Compute("12345", url, parameters));
        Assert.True(TwilioSignature.IsValid("12345", url, parameters, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        Assert.False(TwilioSignature.IsValid("12346", url, parameters, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        // The tests' own signer agrees, so the webhook tests below sign exactly as Twilio does.
        Assert.Equal("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", TwilioSigner.Signature("12345", url, form));
    }

    [Fact]
    public void ParametersAreSignedInOrdinalOrderOfTheirNames()
    {
        var parameters = new Dictionary<string, StringValues> { ["a"] = "1", ["B"] = "2", ["_"] = "3", ["b"] = "4", ["A"] = "5" };
        // Ordinal: "A" (65) < "B" (66) < "_" (95) < "a" (97) < "b" (98); a culture-aware sort would put "_" first and mix cases.
        var expected = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes("token"),
            Encoding.UTF8.GetBytes("https://x.example/hookA5B2_3a1b4")));

        Assert.Equal(expected, TwilioSignature.Compute("token", "https://x.example/hook", parameters));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the form would not even bind: still 403, not 400
    public async Task UnsignedWebhookIsRefusedWithAProblem(bool completeForm)
    {
        var response = await app.CreateClient().PostAsync("/telephony/twilio/status",
            new FormUrlEncodedContent(completeForm ? StatusForm(NewCallSid()) : []), Ct);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task WebhookSignedWithAnotherTokenIsRefused()
    {
        var request = TwilioSigner.SignedForm(TelephonyApp.PublicBaseUrl, "/telephony/twilio/status", StatusForm(NewCallSid()), "not-the-token");

        await (await app.CreateClient().SendAsync(request, Ct)).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task WebhookWithTwoSignatureHeadersIsRefused()
    {
        var request = TwilioSigner.SignedForm(TelephonyApp.PublicBaseUrl, "/telephony/twilio/status", StatusForm(NewCallSid()), TelephonyApp.AuthToken);
        request.Headers.Add("X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");

        await (await app.CreateClient().SendAsync(request, Ct)).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task CorrectlySignedWebhookReachesTheHandler()
    {
        var response = await app.PostSignedAsync("/telephony/twilio/status", StatusForm(NewCallSid()));

        Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task SignedWebhookWithAQueryStringIsVerifiedAgainstIt()
    {
        var response = await app.PostSignedAsync("/telephony/twilio/status?attempt=2&business=b%2F1", StatusForm(NewCallSid()));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    [InlineData("https://attacker.example")]
    [InlineData("http://localhost")] // what the Host header of this very request says
    [InlineData("http://receptionist.example")]
    public async Task SignatureComputedForAnotherUrlIsRefused(string signedFor)
    {
        var request = TwilioSigner.SignedForm(signedFor, "/telephony/twilio/status", StatusForm(NewCallSid()), TelephonyApp.AuthToken);

        await (await app.CreateClient().SendAsync(request, Ct)).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task WebhookWhoseFormChangedAfterSigningIsRefused()
    {
        var form = StatusForm(NewCallSid());
        var request = TwilioSigner.SignedForm(TelephonyApp.PublicBaseUrl, "/telephony/twilio/status", form, TelephonyApp.AuthToken);
        form["CallStatus"] = "busy";
        request.Content = new FormUrlEncodedContent(form);

        await (await app.CreateClient().SendAsync(request, Ct)).AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SignedWebhookMissingTheCallSidIsABadRequest()
    {
        var form = StatusForm(NewCallSid());
        form.Remove("CallSid");

        var response = await app.PostSignedAsync("/telephony/twilio/status", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task WithoutCredentialsTheAppStartsReportsUnconfiguredAndRefusesEveryWebhook()
    {
        await using var bare = await StartBareAppAsync([],
            map: a => a.MapGroup("/hooks").RequireTwilioSignature().MapPost("/status", () => TypedResults.NoContent()));

        Assert.False(bare.Services.GetRequiredService<ITelephonyProvider>().IsConfigured);
        // Signed with any token at all: there is no token to check against, so nothing gets in.
        var request = TwilioSigner.SignedForm("http://localhost:5080", "/hooks/status", StatusForm(NewCallSid()), "");
        await (await bare.GetTestClient().SendAsync(request, Ct)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            bare.Services.GetRequiredService<ITelephonyProvider>().HangUpAsync(NewCallSid(), Ct));
    }

    [Fact]
    public async Task AnAccountSidWithoutAnAuthTokenFailsTheStart()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StartBareAppAsync(new() { ["Twilio:AccountSid"] = TelephonyApp.AccountSid }));

        Assert.Contains("AuthToken", error.Message);
    }

    [Fact]
    public async Task ASignedWebhookFormBindsToTwilioVoiceRequest()
    {
        await using var bare = await StartBareAppAsync(new() { ["Twilio:AuthToken"] = "t", ["Twilio:AccountSid"] = "AC1" },
            map: a => a.MapGroup("/hooks").RequireTwilioSignature().MapPost("/echo", (TwilioVoiceRequest call) => call));
        var form = StatusForm(NewCallSid());
        form["ForwardedFrom"] = "+74950000001";
        form["QueueTime"] = "31";
        form["DialCallStatus"] = "no-answer";
        form["RecordingUrl"] = "https://api.twilio.com/recordings/RE1";
        form["QueuePosition"] = "not-a-number";
        form["SomethingTwilioAddsLater"] = "x";

        var response = await bare.GetTestClient().SendAsync(TwilioSigner.SignedForm("http://localhost:5080", "/hooks/echo", form, "t"), Ct);

        var call = await response.Content.ReadFromJsonAsync<TwilioVoiceRequest>(Ct);
        Assert.Equal(new TwilioVoiceRequest(form["CallSid"], TelephonyApp.AccountSid, "+74951234567", "+74957654321", "completed", "inbound")
        {
            ForwardedFrom = "+74950000001",
            CallDuration = 42,
            QueueTime = 31,
            DialCallStatus = "no-answer",
            RecordingUrl = "https://api.twilio.com/recordings/RE1",
        }, call);
    }

    /// <summary>Just the telephony feature in an in-memory host, with the given configuration only.</summary>
    static async Task<WebApplication> StartBareAppAsync(Dictionary<string, string?> settings, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddAppOptions();
        builder.Services.AddTelephony();
        var bare = builder.Build();
        map?.Invoke(bare);
        try
        {
            await bare.StartAsync(Ct);
        }
        catch
        {
            await bare.DisposeAsync();
            throw;
        }
        return bare;
    }

    // --- REST client ---

    [Fact]
    public async Task BuyingANumberPointsItsWebhooksAtThePublicUrl()
    {
        var number = await Provider().BuyNumberAsync(NumberToBuy.Exactly("+74951110001"), "label-1", Ct);

        Assert.Equal("+74951110001", number.Number);
        Assert.StartsWith("PN", number.ProviderId);
        var request = Assert.Single(app.Twilio.Requests, r => r.Form.GetValueOrDefault("PhoneNumber") == "+74951110001");
        Assert.Equal("POST", request.Method);
        Assert.Equal($"/2010-04-01/Accounts/{TelephonyApp.AccountSid}/IncomingPhoneNumbers.json", request.Path);
        Assert.Equal((TelephonyApp.AccountSid, TelephonyApp.AuthToken), (request.User, request.Password));
        Assert.Equal("https://receptionist.example/telephony/twilio/voice", request.Form["VoiceUrl"]);
        Assert.Equal("POST", request.Form["VoiceMethod"]);
        Assert.Equal("https://receptionist.example/telephony/twilio/status", request.Form["StatusCallback"]);
    }

    [Fact]
    public async Task BuyingByAreaCodeSendsOnlyTheAreaCode()
    {
        var number = await Provider().BuyNumberAsync(NumberToBuy.InAreaCode("628"), "label-2", Ct);

        var request = Assert.Single(app.Twilio.Requests, r => r.Form.GetValueOrDefault("AreaCode") == "628");
        Assert.DoesNotContain("PhoneNumber", request.Form.Keys);
        Assert.StartsWith("+1628", number.Number);
    }

    [Fact]
    public async Task SearchingNumbersAsksForLocalNumbersInTheCountryAndAreaCode()
    {
        var numbers = await Provider().FindAvailableNumbersAsync("RU", "495", Ct);

        Assert.Equal(["+74951234567", "+74951234568"], numbers);
        var request = app.Twilio.Requests[^1];
        Assert.Equal(("GET", $"/2010-04-01/Accounts/{TelephonyApp.AccountSid}/AvailablePhoneNumbers/RU/Local.json", "?AreaCode=495"),
            (request.Method, request.Path, request.Query));
        Assert.Equal(TelephonyApp.AccountSid, request.User);
    }

    [Fact]
    public async Task PlacingACallPostsItsPartiesInstructionsAndStatusCallback()
    {
        var callSid = await Provider().PlaceCallAsync(new OutgoingCall("+74951110002", "+79161234567",
            CallInstructions.Fetch(new Uri("https://receptionist.example/telephony/twilio/check?business=7")), TimeoutSeconds: 25), Ct);

        Assert.StartsWith("CA", callSid);
        var request = Assert.Single(app.Twilio.Requests, r => r.Form.GetValueOrDefault("From") == "+74951110002");
        Assert.Equal($"/2010-04-01/Accounts/{TelephonyApp.AccountSid}/Calls.json", request.Path);
        Assert.Equal((TelephonyApp.AccountSid, TelephonyApp.AuthToken), (request.User, request.Password));
        Assert.Equal("+79161234567", request.Form["To"]);
        Assert.Equal("https://receptionist.example/telephony/twilio/check?business=7", request.Form["Url"]);
        Assert.Equal("POST", request.Form["Method"]);
        Assert.Equal("https://receptionist.example/telephony/twilio/status", request.Form["StatusCallback"]);
        Assert.Equal("25", request.Form["Timeout"]);
    }

    [Fact]
    public async Task RedirectingACallSendsTheNewInstructionsToThatCall()
    {
        var callSid = NewCallSid();
        var provider = Provider();

        await provider.RedirectCallAsync(callSid, CallInstructions.Fetch(new Uri("https://receptionist.example/telephony/twilio/fallback")), Ct);
        await provider.RedirectCallAsync(callSid, CallInstructions.Inline(TwiML.Response(TwiML.Dial(TwiML.Client("operator-1")))), Ct);

        var requests = app.Twilio.Requests.Where(r => r.Path == $"/2010-04-01/Accounts/{TelephonyApp.AccountSid}/Calls/{callSid}.json").ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal("https://receptionist.example/telephony/twilio/fallback", requests[0].Form["Url"]);
        Assert.Equal("<Response><Dial><Client>operator-1</Client></Dial></Response>", requests[1].Form["Twiml"]);
        Assert.DoesNotContain("Url", requests[1].Form.Keys);
    }

    [Fact]
    public async Task HangingUpCompletesTheCall()
    {
        var callSid = NewCallSid();

        await Provider().HangUpAsync(callSid, Ct);

        var request = Assert.Single(app.Twilio.Requests, r => r.Path.EndsWith($"/Calls/{callSid}.json", StringComparison.Ordinal));
        Assert.Equal("POST", request.Method);
        Assert.Equal("completed", request.Form["Status"]);
    }

    [Fact]
    public async Task TwilioErrorsSurfaceWithTheirCodeAndMessage()
    {
        app.Twilio.FailNext(HttpStatusCode.BadRequest, 21211, "The 'To' number +7000 is not a valid phone number.");

        var error = await Assert.ThrowsAsync<TelephonyException>(() => Provider().PlaceCallAsync(
            new OutgoingCall("+74951110003", "+7000", CallInstructions.Fetch(new Uri("https://receptionist.example/x"))), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(21211, error.ProviderCode);
        Assert.Equal("The 'To' number +7000 is not a valid phone number.", error.ProviderMessage);
        Assert.Contains("21211", error.Message);
        Assert.Contains("Calls.json", error.Message);
    }

    [Fact]
    public async Task PlacingACallIsNotRepeatedAfterAServerError()
    {
        var before = app.Twilio.Requests.Count;
        app.Twilio.FailNext(HttpStatusCode.InternalServerError);

        var error = await Assert.ThrowsAsync<TelephonyException>(() => Provider().PlaceCallAsync(
            new OutgoingCall("+74951110004", "+79161234567", CallInstructions.Fetch(new Uri("https://receptionist.example/x"))), Ct));

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Null(error.ProviderCode);
        // Twilio may have placed the call before failing: a second attempt could ring the owner twice.
        Assert.Equal(before + 1, app.Twilio.Requests.Count);
    }

    [Fact]
    public async Task HangingUpIsRetriedAfterAServerError()
    {
        var callSid = NewCallSid();
        app.Twilio.FailNext(HttpStatusCode.ServiceUnavailable);

        await Provider().HangUpAsync(callSid, Ct);

        Assert.Equal(2, app.Twilio.Requests.Count(r => r.Path.EndsWith($"/Calls/{callSid}.json", StringComparison.Ordinal)));
    }

    // --- TwiML ---

    [Fact]
    public void EnqueueWithRingbackIsWellFormedTwiML()
    {
        var xml = TwiML.Response(
            TwiML.Enqueue("calls & more", waitUrl: new Uri("https://r.example/telephony/twilio/wait?call=1&b=2"),
                action: new Uri("https://r.example/telephony/twilio/left")),
            TwiML.Play(new Uri("https://r.example/ringback.mp3"), loop: 0)).ToString();

        var root = XDocument.Parse(xml).Root!;
        Assert.Equal("Response", root.Name.LocalName);
        var enqueue = root.Element("Enqueue")!;
        Assert.Equal("calls & more", enqueue.Value);
        Assert.Equal("https://r.example/telephony/twilio/wait?call=1&b=2", enqueue.Attribute("waitUrl")!.Value);
        Assert.Equal("https://r.example/telephony/twilio/left", enqueue.Attribute("action")!.Value);
        Assert.Equal("0", root.Element("Play")!.Attribute("loop")!.Value);
        Assert.Equal("https://r.example/ringback.mp3", root.Element("Play")!.Value);
    }

    [Fact]
    public void DialToAQueueOrANumberCarriesItsAttributes()
    {
        var root = XDocument.Parse(TwiML.Response(
            TwiML.Dial(TwiML.Queue("calls", url: new Uri("https://r.example/bridged")), answerOnBridge: true),
            TwiML.Dial(TwiML.Number("+79161234567"), callerId: "+74951110001", timeout: 20, action: new Uri("https://r.example/dialed")),
            TwiML.Leave(), TwiML.Redirect(new Uri("https://r.example/next")), TwiML.Hangup()).ToString()).Root!;

        var dials = root.Elements("Dial").ToList();
        Assert.Equal("true", dials[0].Attribute("answerOnBridge")!.Value);
        Assert.Equal(("calls", "https://r.example/bridged"), (dials[0].Element("Queue")!.Value, dials[0].Element("Queue")!.Attribute("url")!.Value));
        Assert.Null(dials[0].Attribute("callerId"));
        Assert.Equal("+79161234567", dials[1].Element("Number")!.Value);
        Assert.Equal(("+74951110001", "20", "https://r.example/dialed"),
            (dials[1].Attribute("callerId")!.Value, dials[1].Attribute("timeout")!.Value, dials[1].Attribute("action")!.Value));
        Assert.Equal(["Dial", "Dial", "Leave", "Redirect", "Hangup"], root.Elements().Select(e => e.Name.LocalName));
    }

    [Fact]
    public void VoicemailRecordingCarriesItsAttributes()
    {
        var root = XDocument.Parse(TwiML.Response(
            TwiML.Say("Оставьте сообщение после сигнала.", language: "ru-RU", voice: "Polly.Tatyana"),
            TwiML.Pause(1),
            TwiML.Record(maxLength: 120, action: new Uri("https://r.example/recorded"),
                recordingStatusCallback: new Uri("https://r.example/recording"), playBeep: true),
            TwiML.Reject("busy")).ToString()).Root!;

        var say = root.Element("Say")!;
        Assert.Equal(("Оставьте сообщение после сигнала.", "ru-RU", "Polly.Tatyana"),
            (say.Value, say.Attribute("language")!.Value, say.Attribute("voice")!.Value));
        Assert.Equal("1", root.Element("Pause")!.Attribute("length")!.Value);
        var record = root.Element("Record")!;
        Assert.Equal(("120", "https://r.example/recorded", "https://r.example/recording", "true"),
            (record.Attribute("maxLength")!.Value, record.Attribute("action")!.Value,
                record.Attribute("recordingStatusCallback")!.Value, record.Attribute("playBeep")!.Value));
        Assert.Equal("busy", root.Element("Reject")!.Attribute("reason")!.Value);
    }

    [Fact]
    public async Task TwiMLIsAnsweredAsUtf8TextXml()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        await TwiML.Response(TwiML.Say("Здравствуйте")).ExecuteAsync(context);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("text/xml; charset=utf-8", context.Response.ContentType);
        var body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><Say>Здравствуйте</Say></Response>", body);
    }
}
