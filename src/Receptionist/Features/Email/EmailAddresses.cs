using MimeKit;

namespace Receptionist.Features.Email;

/// <summary>
/// Which addresses our mail can go to, decided by the parser the sender itself uses (MimeKit), so an address
/// accepted at input never fails later when an email is built or sent.
/// </summary>
public static class EmailAddresses
{
    /// <summary>
    /// A mailbox ("a@b.ru" or "Name &lt;a@b.ru&gt;") that MimeKit parses, with an ASCII local part (a non-ASCII one needs
    /// SMTPUTF8, which mail servers need not offer) and a dotted domain.
    /// </summary>
    public static bool IsUsable(string mailbox) => Parse(mailbox) is not null;

    /// <summary>As <see cref="IsUsable"/>, and a bare address exactly as written (what owners enter).</summary>
    public static bool IsPlainAddress(string address) => Parse(address) is { Name: null or "" } mailbox && mailbox.Address == address;

    static MailboxAddress? Parse(string text)
    {
        if (text.Length is 0 or > 254 || text.Any(char.IsControl))
            return null;
        if (!MailboxAddress.TryParse(ParserOptions.Default, text, out var mailbox))
            return null;
        var address = mailbox.Address;
        var at = address.LastIndexOf('@');
        if (at <= 0 || address.Any(char.IsWhiteSpace))
            return null;
        var local = address[..at];
        var domain = address[(at + 1)..];
        return local.All(char.IsAscii) && domain.Contains('.', StringComparison.Ordinal) && !domain.StartsWith('.') && !domain.EndsWith('.')
            ? mailbox
            : null;
    }
}
