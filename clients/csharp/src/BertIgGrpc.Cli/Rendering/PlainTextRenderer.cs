using System.Globalization;
using System.Text;
using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Cli.Rendering;

/// <summary>
/// The output when standard output is not a terminal (a pipe, a file): no colours and no box drawing, "name: value"
/// lines and one line per word with aligned columns, so <c>grep</c>, <c>awk</c> and a reader all get the numbers.
/// </summary>
public static class PlainTextRenderer
{
    /// <summary>The column titles of the word table.</summary>
    public static readonly IReadOnlyList<string> Columns = ["#", "word", "attribution", "normalised", "tokens (attribution)"];

    /// <summary>Renders one explanation.</summary>
    /// <param name="result">The explanation.</param>
    /// <param name="rows">The rows to list (see <see cref="AttributionRows.Build"/>).</param>
    /// <returns>The text, ending with a newline.</returns>
    public static string Render(ExplainResult result, IReadOnlyList<AttributionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(rows);
        var inv = CultureInfo.InvariantCulture;
        var p = result.Prediction ?? new Prediction();
        var text = new StringBuilder();
        void Line(string name, string value) => text.Append(name).Append(": ").Append(value).Append('\n');
        Line("model", AttributionText.Clean(result.Model));
        Line("predicted", string.Create(inv, $"{AttributionText.Clean(p.Label)} ({p.Probability:0.0000})"));
        Line("attribution label", string.Create(inv, $"{AttributionText.Clean(result.TargetLabel)} (index {result.TargetIndex})"));
        Line("attribution score", $"{AttributionText.Attribution(result.AttributionSum)} ({AttributionText.ScoreMeaning(result)})");
        Line("convergence delta", result.ConvergenceDelta.ToString("0.0000e+0", inv));
        Line("method", string.Create(inv, $"{result.Method}, {result.NSteps} steps, baseline {result.Baseline}"));
        Line("run", string.Create(inv, $"{result.ExecutionProvider}, {result.ElapsedMs:0} ms{(result.Truncated ? ", text truncated to the model's token limit" : string.Empty)}"));
        Line("legend", AttributionText.Legend(result));

        var cells = new List<string[]> { Columns.ToArray() };
        foreach (var row in rows)
        {
            cells.Add(
            [
                row.Index.ToString(inv),
                AttributionText.Clean(row.Word.Token),
                AttributionText.Attribution(row.Word.Attribution),
                AttributionText.Normalized(row.Word.AttributionNormalized),
                AttributionText.Tokens(row.Tokens),
            ]);
        }

        Table(text, cells, [true, false, true, true, false]);
        foreach (var section in ResultSections.Build(result))
        {
            text.Append('\n').Append(section.Title).Append(":\n");
            Table(text, [section.Columns.ToArray(), .. section.Rows], section.RightAligned);
            foreach (var note in section.Notes)
            {
                text.Append(note).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>Aligned columns: numbers right-aligned, text left-aligned; the last column is not padded (no trailing blanks).</summary>
    private static void Table(StringBuilder text, IReadOnlyList<string[]> cells, IReadOnlyList<bool> right)
    {
        var widths = Enumerable.Range(0, right.Count).Select(c => cells.Max(r => r[c].Length)).ToArray();
        foreach (var r in cells)
        {
            for (var c = 0; c < r.Length; c++)
            {
                var last = c == r.Length - 1;
                text.Append(right[c] ? r[c].PadLeft(widths[c]) : last ? r[c] : r[c].PadRight(widths[c]));
                text.Append(last ? "\n" : "  ");
            }
        }
    }
}
