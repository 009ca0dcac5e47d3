using System.Globalization;
using System.Net;
using System.Text;
using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Cli.Rendering;

/// <summary>Choices for <see cref="ExplainHtmlRenderer"/>.</summary>
public sealed record ExplainHtmlOptions
{
    /// <summary>Gets the true label of the text, when the caller knows it; shown as "n/a" otherwise.</summary>
    public string? TrueLabel { get; init; }

    /// <summary>Gets whether whole words are shown instead of WordPiece tokens (tokens are Captum's default).</summary>
    public bool UseWords { get; init; }

    /// <summary>Gets the explained text, shown above the table when set.</summary>
    public string? Text { get; init; }
}

/// <summary>
/// Writes an explanation as a self-contained HTML page laid out like Captum's <c>visualize_text</c>: a legend, then one
/// row with the true label, predicted label (probability), attribution label, attribution score, convergence delta and
/// the word importance, each token's background coloured by <see cref="AttributionColors"/>; then the extra sections the
/// request asked for (per-class rows, windows, faithfulness; see <see cref="ResultSections"/>). Every piece of text that
/// came from the server or the user is HTML-encoded, because tokens are arbitrary user text.
/// </summary>
public static class ExplainHtmlRenderer
{
    /// <summary>Renders the page.</summary>
    /// <param name="result">The explanation.</param>
    /// <param name="options">Display choices.</param>
    /// <returns>The HTML document.</returns>
    public static string Render(ExplainResult result, ExplainHtmlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        options ??= new ExplainHtmlOptions();
        var inv = CultureInfo.InvariantCulture;
        var tokens = options.UseWords && result.Words.Count > 0 ? result.Words : result.Tokens;
        var prediction = result.Prediction ?? new Prediction();

        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Integrated Gradients explanation</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #111; }
            table { border-collapse: collapse; width: 100%; }
            th { text-align: left; border-bottom: 2px solid #333; padding: 6px 12px; }
            td { border-bottom: 1px solid #ccc; padding: 6px 12px; vertical-align: top; }
            .legend { margin-bottom: 0.8em; }
            .legend span.swatch { display: inline-block; width: 10px; height: 10px; border: 1px solid #999; margin: 0 4px 0 10px; }
            mark.tok { line-height: 1.75; padding: 0 2px; margin: 0 1px; color: black; }
            .meta { color: #555; font-size: 0.9em; }
            .text { font-style: italic; }
            h3 { margin-top: 1.6em; }
            th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
            </style>
            </head>
            <body>
            <h2>Integrated Gradients</h2>

            """);
        if (!string.IsNullOrEmpty(options.Text))
        {
            html.Append("<p class=\"text\">").Append(Encode(options.Text)).Append("</p>\n");
        }

        html.Append("<div class=\"legend\"><b>Legend:</b>")
            .Append(Swatch(-1)).Append("Negative")
            .Append(Swatch(0)).Append("Neutral")
            .Append(Swatch(1)).Append("Positive</div>\n");

        html.Append("<table>\n<tr><th>True Label</th><th>Predicted Label</th><th>Attribution Label</th>")
            .Append("<th>Attribution Score</th><th>Convergence Delta</th><th>Word Importance</th></tr>\n<tr>");
        Cell(html, options.TrueLabel is null ? "n/a" : options.TrueLabel);
        Cell(html, string.Create(inv, $"{prediction.Label} ({prediction.Probability:0.00})"));
        Cell(html, result.TargetLabel);
        Cell(html, result.AttributionSum.ToString("0.00", inv));
        Cell(html, result.ConvergenceDelta.ToString("0.0000e+0", inv));
        Highlight(html, tokens);
        html.Append("</tr>\n</table>\n");
        html.Append("<p class=\"meta\"><b>Attribution Score</b> ").Append(Encode(AttributionText.ScoreMeaning(result))).Append(".</p>\n");
        AppendSections(html, result, options.UseWords);
        html.Append("<p class=\"meta\">")
            .Append(Encode(string.Create(
                inv,
                $"model {result.Model} · {result.Method} · {result.NSteps} steps · baseline {result.Baseline} · "
                + $"score input {result.ScoreInput:0.0000}, baseline {result.ScoreBaseline:0.0000} · "
                + $"{result.ExecutionProvider} · {result.ElapsedMs:0} ms")))
            .Append(result.Truncated ? " · <b>text truncated</b>" : string.Empty)
            .Append("</p>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>HTML-encodes text for element content and quoted attribute values (&lt; &gt; &amp; &quot; &#39;).</summary>
    /// <param name="text">Untrusted text.</param>
    /// <returns>The encoded text.</returns>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <summary>
    /// The extra sections (see <see cref="ResultSections"/>): with per-class attributions, first one highlighted text
    /// row per class, then each section as a table with its notes.
    /// </summary>
    private static void AppendSections(StringBuilder html, ExplainResult result, bool useWords)
    {
        if (result.PerTarget.Count > 0)
        {
            html.Append("<h3>Highlighted text per class</h3>\n<table class=\"per-class\">\n<tr><th>Class</th><th>Word Importance</th></tr>\n");
            foreach (var target in result.PerTarget)
            {
                html.Append("<tr>");
                Cell(html, target.Label + (target.Index == result.TargetIndex ? " *" : string.Empty));
                Highlight(html, useWords && target.Words.Count > 0 ? target.Words : target.Tokens);
                html.Append("</tr>\n");
            }

            html.Append("</table>\n");
        }

        foreach (var section in ResultSections.Build(result))
        {
            html.Append("<h3>").Append(Encode(section.Title)).Append("</h3>\n<table class=\"section\">\n<tr>");
            for (var c = 0; c < section.Columns.Count; c++)
            {
                html.Append(section.RightAligned[c] ? "<th class=\"num\">" : "<th>").Append(Encode(section.Columns[c])).Append("</th>");
            }

            html.Append("</tr>\n");
            foreach (var cells in section.Rows)
            {
                html.Append("<tr>");
                for (var c = 0; c < cells.Length; c++)
                {
                    var right = c < section.RightAligned.Count && section.RightAligned[c];
                    html.Append(right ? "<td class=\"num\">" : "<td>").Append(Encode(cells[c])).Append("</td>");
                }

                html.Append("</tr>\n");
            }

            html.Append("</table>\n");
            foreach (var note in section.Notes)
            {
                html.Append("<p class=\"meta\">").Append(Encode(note)).Append("</p>\n");
            }
        }
    }

    /// <summary>One table cell with each token as a mark coloured by its normalised attribution (title: the raw value).</summary>
    private static void Highlight(StringBuilder html, IEnumerable<TokenAttribution> tokens)
    {
        html.Append("<td class=\"words\">");
        foreach (var t in tokens)
        {
            var color = AttributionColors.For(t.AttributionNormalized);
            html.Append("<mark class=\"tok\" style=\"background-color: ").Append(color.Css).Append("\" title=\"")
                .Append(Encode(t.Attribution.ToString("0.0000", CultureInfo.InvariantCulture))).Append("\">")
                .Append(Encode(t.Token)).Append("</mark> ");
        }

        html.Append("</td>");
    }

    private static void Cell(StringBuilder html, string text) =>
        html.Append("<td><b>").Append(Encode(text)).Append("</b></td>");

    private static string Swatch(double attribution) =>
        $"<span class=\"swatch\" style=\"background-color: {AttributionColors.For(attribution).Css}\"></span>";
}
