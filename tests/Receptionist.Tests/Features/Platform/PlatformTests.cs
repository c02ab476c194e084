using System.Net;
using System.Text.Json;
using Npgsql;
using Receptionist.Tests.Infrastructure;

namespace Receptionist.Tests.Features.Platform;

public sealed class PlatformTests(ReceptionistApp app, PostgresServer postgres) : IClassFixture<ReceptionistApp>
{
    [Fact]
    public async Task HealthIsLiveAndReadyOnAMigratedDatabase()
    {
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task MigrationsApplyToAnEmptyDatabase()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var fresh = new ReceptionistAppOn(postgres, connectionString);

        var ready = await fresh.CreateClient().GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var applied = new NpgsqlCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"", connection);
        Assert.True((long)(await applied.ExecuteScalarAsync(TestContext.Current.CancellationToken))! >= 1);
    }

    [Fact]
    public async Task OpenApiDocumentDescribesThePublicEndpoints()
    {
        var document = await app.CreateClient().GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        var paths = JsonDocument.Parse(document).RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/auth/register", out _));
        Assert.True(paths.TryGetProperty("/api/auth/login", out _));
    }

    [Fact]
    public async Task AnEndpointWithoutAPolicyIsClosedAndAnswersProblemDetails()
    {
        var response = await app.CreateClient().GetAsync("/api/no-such-thing", TestContext.Current.CancellationToken);
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    sealed class ReceptionistAppOn(PostgresServer postgres, string connectionString) : ReceptionistApp(postgres)
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ConnectionStrings:Default", connectionString);
        }
    }
}
