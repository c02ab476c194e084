using System.Diagnostics.CodeAnalysis;

namespace Receptionist.Infrastructure;

/// <summary>An expected failure as a value rather than an exception: exactly one of Value and Error is set.</summary>
public sealed class Result<T, TError> where T : class where TError : class
{
    Result(T? value, TError? error) => (Value, Error) = (value, error);

    public T? Value { get; }
    public TError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    public static implicit operator Result<T, TError>(T value) => new(value, null);
    public static implicit operator Result<T, TError>(TError error) => new(null, error);
}
