using System.Globalization;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace BertIgGrpc.Cli.Rendering;

/// <summary>Builds the terminal view of results with Spectre.Console (no markup parsing of server text, so tokens need no escaping).</summary>
public static class TerminalRenderer
{
    /// <summary>The tokens as one paragraph, each on a background coloured by its normalised attribution.</summary>
    /// <param name="tokens">Tokens or words with attributions.</param>
    /// <returns>The renderable.</returns>
    public static IRenderable Tokens(IEnumerable<TokenAttribution> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var paragraph = new Paragraph();
        foreach (var t in tokens)
        {
            var (r, g, b) = AttributionColors.For(t.AttributionNormalized).ToRgb();
            paragraph.Append(t.Token, new Style(Color.Black, new Color(r, g, b)));
            paragraph.Append(" ");
        }

        return paragraph;
    }

    /// <summary>A two-column summary of the result (prediction, target, score, delta, run settings).</summary>
    /// <param name="result">The explanation.</param>
    /// <returns>The renderable.</returns>
    public static IRenderable Summary(ExplainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var inv = CultureInfo.InvariantCulture;
        var p = result.Prediction ?? new Prediction();
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string name, string value) => grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value));
        Row("Model", result.Model);
        Row("Predicted", string.Create(inv, $"{p.Label} ({p.Probability:0.0000})"));
        Row("Attribution label", result.TargetLabel);
        Row("Attribution score", result.AttributionSum.ToString("0.0000", inv));
        Row("Convergence delta", result.ConvergenceDelta.ToString("0.0000e+0", inv));
        Row("Method", string.Create(inv, $"{result.Method}, {result.NSteps} steps, baseline {result.Baseline}"));
        Row("Run", string.Create(inv, $"{result.ExecutionProvider}, {result.ElapsedMs:0} ms{(result.Truncated ? ", truncated" : string.Empty)}"));
        return grid;
    }
}
