using System.ComponentModel.DataAnnotations;

namespace Receptionist.Features.Accounts;

/// <summary>
/// Section <c>Legal</c>: which privacy policy a consent given now refers to, and who stands behind it. The contact and
/// operator defaults are development placeholders; Production refuses to start without both set (StartupChecks).
/// </summary>
public sealed class LegalOptions
{
    /// <summary>Change it with the policy's text (templates/legal), so each consent names the text it agreed to.</summary>
    [Required, StringLength(32, MinimumLength = 1)]
    public string PolicyVersion { get; set; } = "2026-11-27";

    /// <summary>Where owners and their callers write about their data (shown on the front door and in the policy).</summary>
    [Required, EmailAddress]
    public string ContactEmail { get; set; } = "privacy@receptionist.example";

    /// <summary>Who processes the data (the legal entity named in the policy and the terms).</summary>
    [Required, StringLength(200)]
    public string OperatorName { get; set; } = "Receptionist";
}
