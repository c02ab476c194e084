using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Receptionist.Features.Webhooks;

/// <summary>An owner's URL resolved to an address we do not connect to.</summary>
public sealed class RefusedAddressException(string message) : Exception(message);

/// <summary>
/// The HTTP client for URLs owners give us (webhooks, CRMs). Whatever the URL says, the connection is only made to a
/// public address: the host is resolved here, every resolved address is checked, and the socket connects to the checked
/// address, so DNS that changes between a check and the connection (rebinding) cannot slip through. Checked on every
/// attempt, never following redirects, with a short timeout.
/// </summary>
public static class OwnerUrlGuard
{
    public const string ClientName = "owner-urls";

    public static IServiceCollection AddOwnerUrlClient(this IServiceCollection services)
    {
        services.AddHttpClient(ClientName, (provider, client) =>
            {
                client.Timeout = provider.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout;
                // We read at most an error's first lines; a receiver cannot make us hold more.
                client.MaxResponseContentBufferSize = 64 * 1024;
            })
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var allowLoopback = provider.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowLoopbackForTests;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    // A proxy would make the connection for us, to addresses we never see.
                    UseProxy = false,
                    ConnectTimeout = TimeSpan.FromSeconds(5),
                    ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, allowLoopback, ct),
                };
            });
        // No resilience handler: the outbox retries a failed delivery on its own schedule.
        return services;
    }

    static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowLoopback, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, ct);
        if (addresses.Length == 0)
            throw new RefusedAddressException($"{endPoint.Host} does not resolve.");
        if (addresses.FirstOrDefault(a => !IsAllowed(a, allowLoopback)) is { } refused)
            throw new RefusedAddressException($"{endPoint.Host} resolves to {refused}, a loopback, private or link-local address.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool IsAllowed(IPAddress address, bool allowLoopback) =>
        IsPublic(address) || (allowLoopback && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));

    /// <summary>Globally routable unicast: not loopback, private (RFC 1918, unique local), link-local, shared (CGNAT),
    /// unspecified, multicast, broadcast or reserved.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                || (b[0] == 198 && b[1] is 18 or 19));
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return false;
        var v6 = address.GetAddressBytes();
        return !(IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (v6[0] & 0xFE) == 0xFC // unique local fc00::/7
            || (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0D && v6[3] == 0xB8) // documentation
            || (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xFF && v6[3] == 0x9B)); // NAT64 to any IPv4, private ones included
    }
}
