using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.ApiKeys;
using Receptionist.Features.Billing;
using Receptionist.Features.Blocking;
using Receptionist.Features.Businesses;
using Receptionist.Features.Calls;
using Receptionist.Features.Console;
using Receptionist.Features.Digest;
using Receptionist.Features.Forwarding;
using Receptionist.Features.FrontDoor;
using Receptionist.Features.Lines;
using Receptionist.Features.Email;
using Receptionist.Features.Metrics;
using Receptionist.Features.Outbox;
using Receptionist.Features.Queue;
using Receptionist.Features.Scenarios;
using Receptionist.Features.Summaries;
using Receptionist.Features.Telegram;
using Receptionist.Features.Telephony;
using Receptionist.Features.Webhooks;
using Receptionist.Features.Transfers;
using Receptionist.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
if ((StartupChecks.ProductionSettingsMissing(builder) ?? StartupChecks.PortInUse(builder.Configuration)) is { } cannotStart)
{
    Console.Error.WriteLine(cannotStart);
    return 1;
}

builder.AddWebSecurity();
builder.AddDatabase();
builder.Services.AddProblemResponses();
builder.Services.AddJsonConventions();
builder.Services.AddInputSafety();
builder.Services.AddThrottling();
builder.Services.AddApiDocumentation();
builder.Services.AddHttpContextAccessor();
builder.Services.AddScoped<CurrentUser>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddAppOptions();
builder.Services.AddAccounts();
builder.Services.AddApiKeys();
builder.Services.AddScenarios();
builder.Services.AddRolePolicies();
builder.Services.AddLines();
builder.Services.AddForwarding();
builder.Services.AddOutbox();
builder.Services.AddEmail();
builder.Services.AddTelephony();
builder.Services.AddCalls();
builder.Services.AddQueue();
builder.Services.AddTransfers();
builder.Services.AddBilling();
builder.Services.AddBlocking();
builder.Services.AddWebhooks();
builder.Services.AddTelegram();
builder.Services.AddDigest();
builder.Services.AddSummaries();
builder.Services.AddConsole();
builder.Services.AddServiceLevelMetrics();

var app = builder.Build();

if (StartupChecks.IsMigrateCommand(args))
{
    // Production deploys apply migrations once, before new instances start (fly.toml's release command).
    await app.Services.MigrateDatabaseAsync();
    await app.DisposeAsync();
    return 0;
}

app.UseWebSecurity();
app.UseProblemResponses();
app.UseQueryStringSafety();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseApiKeys();
app.UseAuthorization();
app.UseRateLimiter();

app.MapHealth();
app.MapApiDocumentation();
app.MapAccounts();
app.MapLegal();
app.MapFrontDoor();
app.MapBusinesses();
app.MapGoLive();
app.MapLines();
app.MapForwarding();
app.MapOutboxAdmin();
app.MapScenarios();
app.MapTelephony();
app.MapBusinessScenario();
app.MapCalls();
app.MapCallStats();
app.MapQueue();
app.MapTransfers();
app.MapBilling();
app.MapBlocking();
app.MapWebhooks();
app.MapTelegram();
app.MapApiKeys();
app.MapDigest();
app.MapSummaries();
app.MapConsole();
app.MapServiceLevelMetrics();

try
{
    // The database first, before any hosted service or the server starts: a cluster that cannot start is one line.
    app.Services.GetRequiredService<DatabaseServer>();
    app.Run();
}
catch (Exception e) when (StartupChecks.OneLine(e) is { } line)
{
    Console.Error.WriteLine(line);
    return 1;
}
return 0;

public partial class Program;
