using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Receptionist.Data;

/// <summary>For `dotnet ef migrations add`: builds the model without starting or reaching any database.</summary>
sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<AppDbContext>
{
    public AppDbContext CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<AppDbContext>()
        .UseNpgsql("Host=design-time-only")
        .UseSnakeCaseNamingConvention()
        .Options);
}
