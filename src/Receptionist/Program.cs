using Receptionist.Data;
using Receptionist.Features.Accounts;
using Receptionist.Features.Telephony;
using Receptionist.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddDatabase();
builder.Services.AddProblemResponses();
builder.Services.AddApiDocumentation();
builder.Services.AddHttpContextAccessor();
builder.Services.AddScoped<CurrentUser>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddAppOptions();
builder.Services.AddAccounts();
builder.Services.AddRolePolicies();
builder.Services.AddTelephony();

var app = builder.Build();

if (args is ["migrate"])
{
    // Production deploys apply migrations once, before new instances start (fly.toml's release command).
    await app.Services.MigrateDatabaseAsync();
    await app.DisposeAsync();
    return;
}

app.UseProblemResponses();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();

app.MapHealth();
app.MapApiDocumentation();
app.MapAccounts();
app.MapTelephony();

app.Run();

public partial class Program;
