using Scalar.AspNetCore;

namespace Receptionist.Infrastructure;

public static class ApiDocumentation
{
    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) => services.AddOpenApi();

    /// <summary>/openapi/v1.json always; the interactive reference (/scalar) in Development only.</summary>
    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        if (app.Environment.IsDevelopment())
            app.MapScalarApiReference().AllowAnonymous();
        return app;
    }
}
