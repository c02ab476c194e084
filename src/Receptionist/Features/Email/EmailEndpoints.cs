using Receptionist.Features.Outbox;

namespace Receptionist.Features.Email;

public static class EmailEndpoints
{
    /// <summary>Email through the outbox (call <see cref="OutboxEndpoints.AddOutbox"/> too) and the email templates.</summary>
    public static IServiceCollection AddEmail(this IServiceCollection services)
    {
        services.AddOptions<SmtpOptions>().BindConfiguration("Smtp").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SmtpConnections>();
        services.AddOutboxHandler<EmailSender>(EmailMessage.OutboxKind);
        services.AddSingleton<EmailTemplates>();
        return services;
    }
}
