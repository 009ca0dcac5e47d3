using System.ComponentModel;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BertIgGrpc.Cli.Commands;

/// <summary>Options of the commands that send texts (explain, predict): what happens to a text over the model's token limit.</summary>
public class LongTextSettings : ServerSettings
{
    /// <summary>Gets or sets whether long texts are cut.</summary>
    [CommandOption("--truncate")]
    [Description("Cut texts longer than the model's token limit (= --long-text truncate)")]
    public bool Truncate { get; set; }

    /// <summary>Gets or sets whether long texts are split into overlapping windows.</summary>
    [CommandOption("--windows")]
    [Description("Texts longer than the model's token limit: overlapping windows, the prediction the mean of their logits (= --long-text windows)")]
    public bool Windows { get; set; }

    /// <summary>Gets or sets what happens to texts over the model's token limit, by name.</summary>
    [CommandOption("--long-text <MODE>")]
    [Description("Texts longer than the model's token limit: truncate or windows (default: refused)")]
    public string? LongText { get; set; }

    /// <summary>Gets or sets the tokens between window starts.</summary>
    [CommandOption("--window-stride <N>")]
    [Description("With --windows: tokens between the starts of consecutive windows (default: half a window)")]
    public int? WindowStride { get; set; }

    /// <summary>The mode the options select (--windows, --truncate or --long-text); <c>null</c> when none is given (refused).</summary>
    /// <returns>The mode (call <see cref="Validate"/> first).</returns>
    public LongText? ToLongText() =>
        Windows ? Contracts.V1.LongText.Windows
        : LongText is not null && ExplainSettings.TryParseName<LongText>(LongText, out var mode) ? mode
        : Truncate ? Contracts.V1.LongText.Truncate
        : null;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        var baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        if (LongText is not null && !ExplainSettings.TryParseName<LongText>(LongText, out _))
        {
            return ValidationResult.Error($"--long-text: '{LongText}' is not one of {ExplainSettings.Names<LongText>()}.");
        }

        LongText? named = LongText is not null && ExplainSettings.TryParseName<LongText>(LongText, out var mode) ? mode : null;
        var modes = new[] { Windows ? Contracts.V1.LongText.Windows : (LongText?)null, Truncate ? Contracts.V1.LongText.Truncate : null, named };
        if (modes.OfType<LongText>().Distinct().Count() > 1)
        {
            return ValidationResult.Error("--windows, --truncate and --long-text each choose how long texts are handled; give one of them.");
        }

        if (WindowStride is not null && ToLongText() != Contracts.V1.LongText.Windows)
        {
            return ValidationResult.Error("--window-stride: only with --windows (or --long-text windows).");
        }

        return WindowStride is < 1
            ? ValidationResult.Error($"--window-stride: must be at least 1 token (was {WindowStride}).")
            : ValidationResult.Success();
    }
}
