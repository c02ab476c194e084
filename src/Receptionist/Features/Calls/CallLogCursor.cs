using System.Buffers.Binary;
using System.Buffers.Text;

namespace Receptionist.Features.Calls;

/// <summary>
/// Where a page of the call log ends: the last call's arrival (to the microsecond PostgreSQL keeps) and id, which
/// together order the log. Opaque to clients (32 base64url characters); a forged one only moves within the owner's own log.
/// </summary>
public sealed record CallLogCursor(DateTimeOffset ReceivedAt, Guid Id)
{
    const int Length = sizeof(long) + 16;

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, ReceivedAt.UtcTicks);
        Id.TryWriteBytes(bytes[sizeof(long)..]);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryParse(string value, out CallLogCursor cursor)
    {
        cursor = null!;
        Span<byte> bytes = stackalloc byte[Length];
        if (value.Length != Base64Url.GetEncodedLength(Length)
            || Base64Url.DecodeFromChars(value, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Length)
            return false;
        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (ticks < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks)
            return false;
        cursor = new CallLogCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[sizeof(long)..]));
        return true;
    }
}
