using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Receptionist.Infrastructure;

public static class ApiDocumentation
{
    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddSchemaTransformer(async (schema, context, ct) =>
        {
            // InputSafety reads strings and arrays through its own converters, which the schema generator cannot see
            // into; the document still says what they are.
            if (schema.Type is not null)
                return;
            var type = context.JsonTypeInfo.Type;
            if (type == typeof(string))
                schema.Type = JsonSchemaType.String;
            else if (NoNullElementsConverterFactory.ElementOf(type) is { IsValueType: false } element)
            {
                schema.Type = JsonSchemaType.Array;
                schema.Items = await context.GetOrCreateSchemaAsync(element, null, ct);
            }
            else
                return;
            if (context.JsonPropertyInfo is { IsSetNullable: true })
                schema.Type |= JsonSchemaType.Null;
        }));

    /// <summary>/openapi/v1.json always; the interactive reference (/scalar) in Development only.</summary>
    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        if (app.Environment.IsDevelopment())
            app.MapScalarApiReference().AllowAnonymous();
        return app;
    }
}
