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
            paragraph.Append(AttributionText.Clean(t.Token), new Style(Color.Black, new Color(r, g, b)));
            paragraph.Append(" ");
        }

        return paragraph;
    }

    /// <summary>The colour legend and how to read the numbers.</summary>
    /// <param name="result">The explanation (its target label is named).</param>
    /// <returns>The renderable.</returns>
    public static IRenderable Legend(ExplainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var target = AttributionText.Clean(result.TargetLabel);
        var legend = new Paragraph().Append("Legend:", new Style(decoration: Decoration.Bold));
        foreach (var (value, label) in new[] { (-1.0, $"against '{target}'"), (0.0, "neutral"), (1.0, $"towards '{target}'") })
        {
            var (r, g, b) = AttributionColors.For(value).ToRgb();
            legend.Append(" ").Append("   ", new Style(background: new Color(r, g, b))).Append(" " + label);
        }

        return new Rows(legend, new Text(AttributionText.Legend(result), new Style(Color.Grey)));
    }

    /// <summary>
    /// The numbers: one row per word with its attribution, normalised attribution, a bar (green towards the target,
    /// red against) and its WordPiece tokens with their own attributions.
    /// </summary>
    /// <param name="rows">The rows (see <see cref="AttributionRows.Build"/>).</param>
    /// <returns>The renderable.</returns>
    public static IRenderable Table(IReadOnlyList<AttributionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        const int barWidth = 10;
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("#").RightAligned())
            .AddColumn(new TableColumn("Word"))
            .AddColumn(new TableColumn("Attribution").RightAligned())
            .AddColumn(new TableColumn("Normalised").RightAligned())
            .AddColumn(new TableColumn(string.Empty).NoWrap())
            .AddColumn(new TableColumn("Tokens (attribution)"));
        foreach (var row in rows)
        {
            var normalized = double.IsNaN(row.Word.AttributionNormalized) ? 0 : Math.Clamp(row.Word.AttributionNormalized, -1, 1);
            var bar = new string('\u2588', (int)Math.Round(Math.Abs(normalized) * barWidth)).PadRight(barWidth);
            table.AddRow(
                new Text(row.Index.ToString(CultureInfo.InvariantCulture)),
                new Text(AttributionText.Clean(row.Word.Token)),
                new Text(AttributionText.Attribution(row.Word.Attribution)),
                new Text(AttributionText.Normalized(row.Word.AttributionNormalized)),
                new Text(bar, new Style(normalized >= 0 ? Color.Green : Color.Red)),
                new Text(AttributionText.Tokens(row.Tokens, "\n"), new Style(Color.Grey)));
        }

        return table;
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
        Row("Attribution score", $"{AttributionText.Attribution(result.AttributionSum)} ({AttributionText.ScoreMeaning(result)})");
        Row("Convergence delta", result.ConvergenceDelta.ToString("0.0000e+0", inv));
        Row("Method", string.Create(inv, $"{result.Method}, {result.NSteps} steps, baseline {result.Baseline}"));
        Row("Run", string.Create(inv, $"{result.ExecutionProvider}, {result.ElapsedMs:0} ms{(result.Truncated ? ", truncated" : string.Empty)}"));
        return grid;
    }

    /// <summary>
    /// The extra sections (see <see cref="ResultSections"/>), each a table with its notes; with per-class attributions,
    /// first one coloured text row per class.
    /// </summary>
    /// <param name="result">The explanation.</param>
    /// <param name="words">Colour whole words instead of tokens.</param>
    /// <returns>The renderables, in order (none for a plain explanation).</returns>
    public static IEnumerable<IRenderable> Sections(ExplainResult result, bool words)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var target in result.PerTarget)
        {
            var row = new Paragraph().Append($"{AttributionText.Clean(target.Label)}: ", new Style(decoration: Decoration.Bold));
            yield return new Rows(row, Tokens(words && target.Words.Count > 0 ? target.Words : target.Tokens));
        }

        foreach (var section in ResultSections.Build(result))
        {
            var table = new Table().Border(TableBorder.Simple).Title(new TableTitle(Markup.Escape(section.Title)));
            for (var c = 0; c < section.Columns.Count; c++)
            {
                var column = new TableColumn(section.Columns[c]);
                table.AddColumn(section.RightAligned[c] ? column.RightAligned() : column);
            }

            foreach (var cells in section.Rows)
            {
                table.AddRow(cells.Select(cell => (IRenderable)new Text(cell)).ToArray());
            }

            yield return table;
            yield return new Text(string.Join("\n", section.Notes), new Style(Color.Grey));
        }
    }
}
