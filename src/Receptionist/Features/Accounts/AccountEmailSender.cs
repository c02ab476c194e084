using System.Net;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Receptionist.Data;
using Receptionist.Features.Email;
using Receptionist.Features.Outbox;
using Receptionist.Infrastructure;

namespace Receptionist.Features.Accounts;

/// <summary>
/// Identity's account emails (confirmation, password reset) through the outbox, Russian first. Their links lead to
/// the owner pages under <see cref="AppOptions.PublicBaseUrl"/>, never to the request's Host header, which a caller
/// controls: Identity builds its own confirmation link from that header, so only its query is kept.
/// </summary>
public sealed class AccountEmailSender(AppDbContext db, EmailTemplates templates, IOptions<AppOptions> app, TimeProvider clock)
    : IEmailSender<AppUser>
{
    public const string ConfirmPage = "/owner/confirm.html";
    public const string ResetPage = "/owner/reset.html";

    /// <summary>A confirmation token as Identity's confirmEmail endpoint takes it (Base64Url of its UTF-8).</summary>
    public static string EncodeToken(string token) => WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token));

    /// <summary>Adds the confirmation email to the context; the caller's SaveChanges sends it with the account.</summary>
    public void AddConfirmation(AppUser user, string encodedToken) => Add(user, "confirm-email", new
    {
        email = user.Email,
        confirm_url = app.Value.Url($"{ConfirmPage}?userId={user.Id}&code={Uri.EscapeDataString(encodedToken)}").AbsoluteUri,
    });

    public async Task SendConfirmationLinkAsync(AppUser user, string email, string confirmationLink)
    {
        // Identity hands the link HTML-encoded (&amp; between parameters).
        var query = QueryHelpers.ParseQuery(new Uri(WebUtility.HtmlDecode(confirmationLink)).Query);
        AddConfirmation(user, query["code"].ToString());
        await db.SaveChangesAsync();
    }

    public async Task SendPasswordResetCodeAsync(AppUser user, string email, string resetCode)
    {
        Add(user, "password-reset", new
        {
            email = user.Email,
            reset_url = app.Value.Url(
                $"{ResetPage}?email={Uri.EscapeDataString(user.Email!)}&code={Uri.EscapeDataString(WebUtility.HtmlDecode(resetCode))}").AbsoluteUri,
        });
        await db.SaveChangesAsync();
    }

    /// <summary>Identity's API endpoints send codes, not links (only its Razor UI calls this): the code leads to the same page.</summary>
    public Task SendPasswordResetLinkAsync(AppUser user, string email, string resetLink) =>
        SendPasswordResetCodeAsync(user, email, QueryHelpers.ParseQuery(new Uri(WebUtility.HtmlDecode(resetLink)).Query)["code"].ToString());

    void Add(AppUser user, string template, object model) =>
        db.Add(OutboxMessage.Email(EmailMessage.Create([user.Email!], templates.Render(template, model)), clock.GetUtcNow()));
}

/// <summary>
/// What Identity is given as its email sender. MapIdentityApi resolves the sender once, at start, and keeps it for
/// every request, so it must be a singleton: each email gets a scope of its own (its own database context) and the
/// scoped <see cref="AccountEmailSender"/> in it.
/// </summary>
sealed class IdentityEmailSender(IServiceScopeFactory scopes) : IEmailSender<AppUser>
{
    public Task SendConfirmationLinkAsync(AppUser user, string email, string confirmationLink) =>
        InScopeAsync(sender => sender.SendConfirmationLinkAsync(user, email, confirmationLink));

    public Task SendPasswordResetLinkAsync(AppUser user, string email, string resetLink) =>
        InScopeAsync(sender => sender.SendPasswordResetLinkAsync(user, email, resetLink));

    public Task SendPasswordResetCodeAsync(AppUser user, string email, string resetCode) =>
        InScopeAsync(sender => sender.SendPasswordResetCodeAsync(user, email, resetCode));

    async Task InScopeAsync(Func<AccountEmailSender, Task> send)
    {
        await using var scope = scopes.CreateAsyncScope();
        await send(scope.ServiceProvider.GetRequiredService<AccountEmailSender>());
    }
}
