using System.ComponentModel.DataAnnotations;

namespace Receptionist.Features.Accounts;

/// <summary>Section <c>Legal</c>: which privacy policy a consent given now refers to.</summary>
public sealed class LegalOptions
{
    /// <summary>Change it with the policy's text (templates/legal), so each consent names the text it agreed to.</summary>
    [Required, StringLength(32, MinimumLength = 1)]
    public string PolicyVersion { get; set; } = "2026-11-27";
}
