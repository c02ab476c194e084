using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;

namespace Receptionist.Infrastructure;

/// <summary>
/// What every request body and query string goes through before a handler sees it, so that no input can
/// reach the database in a form it refuses (PostgreSQL rejects NUL in text) and every refusal is a 400
/// naming the field by its JSON path (<c>hours[0].day</c>) rather than a 500 or a nameless 400.
/// </summary>
public static class InputSafety
{
    /// <summary>Deeper JSON than any request of ours needs is an attack on the parser, not data.</summary>
    public const int MaxJsonDepth = 16;

    public static IServiceCollection AddInputSafety(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(options => Configure(options.SerializerOptions));
        // Binding failures are thrown in every environment (the default only throws in Development), so that
        // one handler turns them into problem details with the field's path.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        return services;
    }

    static void Configure(JsonSerializerOptions options)
    {
        options.MaxDepth = MaxJsonDepth;
        // A null where the contract says "string" is refused by the serializer, naming the property...
        options.RespectNullableAnnotations = true;
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(type =>
        {
            // ...but only on the way in: what we write out is ours, and a null there must not turn into a 500.
            foreach (var property in type.Properties)
                if (!property.PropertyType.IsValueType || Nullable.GetUnderlyingType(property.PropertyType) is not null)
                    property.IsGetNullable = true;
        });
        options.Converters.Add(new SafeStringConverter());
        options.Converters.Add(new NoNullElementsConverterFactory());
    }

    /// <summary>C0 controls and DEL, except tab, line feed and carriage return (multi-line notes and scenario text).</summary>
    public static int IndexOfControlCharacter(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if ((c < ' ' && c is not ('\t' or '\n' or '\r')) || c == '\u007f')
                return i;
        }
        return -1;
    }

    /// <summary>Query strings are input too: a control character in any parameter is refused before routing.</summary>
    public static IApplicationBuilder UseQueryStringSafety(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        foreach (var (name, values) in context.Request.Query)
        {
            if (IndexOfControlCharacter(name) < 0 && values.All(v => v is null || IndexOfControlCharacter(v) < 0))
                continue;
            var problem = TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [IndexOfControlCharacter(name) < 0 ? name : "query"] = ["Must not contain control characters."],
            });
            await problem.ExecuteAsync(context);
            return;
        }
        await next(context);
    });
}

/// <summary>Refuses strings with control characters at the point they are read, so the serializer reports the path.</summary>
sealed class SafeStringConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException("Must be a string.");
        return Checked(reader.GetString()!);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    // Dictionary keys (a summary's field names) are strings that reach the database too.
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Checked(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value);

    static string Checked(string value) => InputSafety.IndexOfControlCharacter(value) < 0
        ? value
        : throw new JsonException("Must not contain control characters.");
}

/// <summary>
/// <c>"hours": [null]</c> is not an empty interval: arrays and lists of objects or strings refuse null elements,
/// naming the element (<c>hours[0]</c>).
/// </summary>
sealed class NoNullElementsConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type type) => ElementOf(type) is { IsValueType: false };

    internal static Type? ElementOf(Type type) =>
        type.IsArray && type.GetArrayRank() == 1 ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0]
        : null;

    public override JsonConverter CreateConverter(Type type, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(ElementOf(type)!), [type.IsArray])!;

    sealed class Converter<T>(bool array) : JsonConverter<object> where T : class
    {
        public override bool CanConvert(Type type) => type == (array ? typeof(T[]) : typeof(List<T>));

        public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new JsonException("Must be an array.");
            var items = new List<T>();
            var element = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.Null)
                    throw new JsonElementException(items.Count, "Must not be null.");
                try
                {
                    items.Add(JsonSerializer.Deserialize(ref reader, element)!);
                }
                catch (JsonException e)
                {
                    // The inner path starts at the element ("$.day"); the outer one will end at this array.
                    throw new JsonElementException(items.Count, e.Message, JsonElementException.FullPath(e));
                }
            }
            return array ? items.ToArray() : items;
        }

        public override void Write(Utf8JsonWriter writer, object value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, (IEnumerable<T>)value, options);
    }
}

/// <summary>Endpoint metadata: what to answer instead of a 400 when the request cannot be bound (null: the 400).</summary>
public sealed record BindingFailureOverride(Func<HttpContext, Task<IResult?>> Answer);

/// <summary>An element of an array failed; the serializer fills in the array's path, this carries the rest.</summary>
sealed class JsonElementException(int index, string message, string? innerPath = null) : JsonException(message)
{
    public int Index { get; } = index;
    public string? InnerPath { get; } = innerPath;

    /// <summary>The path of the failing value, through any arrays it sits in: "$.hours[0].day".</summary>
    public static string FullPath(JsonException e)
    {
        var path = e.Path ?? "$";
        if (e is JsonElementException element)
            path += $"[{element.Index}]" + (element.InnerPath is { Length: > 1 } inner ? inner[1..] : "");
        return path;
    }
}

/// <summary>
/// Turns binding failures (malformed JSON, a wrong type, a null where none belongs, an unparsable query value)
/// into 400 problem details keyed by the field, instead of a generic 400 or the 500 of an unhandled exception.
/// </summary>
sealed class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad)
            return false;
        // The exception handler has cleared the endpoint; the feature keeps the one that failed.
        if (context.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.Metadata.GetMetadata<BindingFailureOverride>() is { } custom
            && await custom.Answer(context) is { } answer)
        {
            await answer.ExecuteAsync(context);
            return true;
        }
        logger.LogInformation("Refused a bad request to {Path}: {Reason}", context.Request.Path, exception.Message);
        context.Response.StatusCode = bad.StatusCode;
        if (bad.StatusCode != StatusCodes.Status400BadRequest)
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, Exception = exception });

        var (field, message) = bad.InnerException is JsonException json
            ? (FieldOf(json), MessageOf(json))
            : ("", "The request could not be read: " + bad.Message);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
            {
                Status = StatusCodes.Status400BadRequest,
            },
        });
    }

    /// <summary>"$.hours[0].day" → "hours[0].day"; the root is "".</summary>
    public static string FieldOf(JsonException e)
    {
        var path = JsonElementException.FullPath(e);
        return path == "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    /// <summary>Our own words for the serializer's messages, which name .NET types rather than what the client sent.</summary>
    static string MessageOf(JsonException e) => e.Message switch
    {
        var m when m.StartsWith("Must ", StringComparison.Ordinal) => m.Split(" Path:")[0],
        var m when m.Contains("null value", StringComparison.Ordinal) || m.Contains("setting null", StringComparison.Ordinal) => "Must not be null.",
        var m when m.Contains("depth", StringComparison.Ordinal) => $"Nested deeper than {InputSafety.MaxJsonDepth} levels.",
        var m when m.Contains("missing required properties", StringComparison.Ordinal) => m.Split(" Path:")[0],
        _ => "Not a valid value here: wrong JSON type, out of range, or malformed.",
    };
}
