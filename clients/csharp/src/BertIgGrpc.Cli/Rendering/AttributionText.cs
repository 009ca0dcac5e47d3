using System.Globalization;
using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Cli.Rendering;

/// <summary>The words and number formats both outputs (terminal and plain text) use, so they read the same.</summary>
public static class AttributionText
{
    /// <summary>An attribution with its sign, four decimals: <c>+0.1234</c>, <c>-0.0050</c>.</summary>
    /// <param name="value">The attribution.</param>
    /// <returns>The text.</returns>
    public static string Attribution(double value) => value.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);

    /// <summary>A normalised attribution with its sign, three decimals.</summary>
    /// <param name="value">The normalised attribution, in [-1, 1].</param>
    /// <returns>The text.</returns>
    public static string Normalized(double value) => value.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture);

    /// <summary>A word's tokens with their attributions, e.g. <c>super +0.5123  ##b +0.4001</c>.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="separator">Between two tokens.</param>
    /// <returns>The text.</returns>
    public static string Tokens(IEnumerable<TokenAttribution> tokens, string separator = "  ") =>
        string.Join(separator, tokens.Select(t => $"{Clean(t.Token)} {Attribution(t.Attribution)}"));

    /// <summary>Text from the server or the user, safe to print: control characters (escape sequences) become U+FFFD.</summary>
    /// <param name="text">Untrusted text.</param>
    /// <returns>The text without control characters.</returns>
    public static string Clean(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? '\uFFFD' : c)) : text;

    /// <summary>How to read the signs, naming the target class.</summary>
    /// <param name="result">The explanation.</param>
    /// <returns>One sentence.</returns>
    public static string Legend(ExplainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var target = Clean(result.TargetLabel);
        return $"attribution > 0 pushes towards '{target}', < 0 pushes against it; the attributions add up to the attribution score. "
            + "Normalised = attribution / L2 norm over all words.";
    }

    /// <summary>What the attribution score is, with this result's numbers: why a predicted class can have a negative score.</summary>
    /// <param name="result">The explanation.</param>
    /// <returns>One sentence.</returns>
    public static string ScoreMeaning(ExplainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var inv = CultureInfo.InvariantCulture;
        return $"= F(x) - F(baseline) up to the convergence delta: the '{Clean(result.TargetLabel)}' logit on this text "
            + $"({result.ScoreInput.ToString("0.0000", inv)}) minus on the {BaselineName(result.Baseline)} baseline "
            + $"({result.ScoreBaseline.ToString("0.0000", inv)}); negative when the baseline scores higher, even if this class is predicted";
    }

    /// <summary>The baseline as a reader knows it.</summary>
    /// <param name="baseline">The baseline.</param>
    /// <returns>E.g. <c>all-[PAD]</c>.</returns>
    public static string BaselineName(Baseline baseline) => baseline switch
    {
        Baseline.Pad => "all-[PAD]",
        Baseline.Mask => "all-[MASK]",
        Baseline.Unk => "all-[UNK]",
        Baseline.Zero => "zero-embedding",
        _ => baseline.ToString(),
    };
}
