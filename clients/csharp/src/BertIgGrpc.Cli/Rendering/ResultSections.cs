using System.Globalization;
using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Cli.Rendering;

/// <summary>
/// One extra part of an explanation (per-class attributions, long-text windows, faithfulness) as a titled table with
/// notes under it; the terminal and the plain-text output render the same sections.
/// </summary>
/// <param name="Title">The heading.</param>
/// <param name="Columns">The column titles.</param>
/// <param name="RightAligned">Per column: a number (right-aligned) or text.</param>
/// <param name="Rows">The cells, one array per row.</param>
/// <param name="Notes">Sentences printed under the table (what the numbers mean).</param>
public sealed record ResultSection(string Title, IReadOnlyList<string> Columns, IReadOnlyList<bool> RightAligned, IReadOnlyList<string[]> Rows, IReadOnlyList<string> Notes);

/// <summary>Builds the sections a result carries: only those the request asked for (all_targets, long_text windows, faithfulness).</summary>
public static class ResultSections
{
    /// <summary>How many words of each class the per-class table names.</summary>
    public const int WordsPerClass = 5;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The sections of <paramref name="result"/>, in the order: per class, windows, faithfulness.</summary>
    /// <param name="result">The explanation.</param>
    /// <returns>The sections (empty for a plain explanation).</returns>
    public static IReadOnlyList<ResultSection> Build(ExplainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sections = new List<ResultSection>();
        if (result.PerTarget.Count > 0)
        {
            sections.Add(PerTarget(result));
        }

        if (result.Windows.Count > 0)
        {
            sections.Add(Windows(result));
        }

        if (result.Faithfulness is { } f)
        {
            sections.Add(Faithfulness(result, f));
        }

        return sections;
    }

    /// <summary>One row per class: its score, attribution sum, delta and the words that push towards it most.</summary>
    private static ResultSection PerTarget(ExplainResult result)
    {
        var rows = result.PerTarget.Select(t => new[]
        {
            t.Index.ToString(Inv),
            AttributionText.Clean(t.Label) + (t.Index == result.TargetIndex ? " *" : string.Empty),
            AttributionText.Attribution(t.ScoreInput - t.ScoreBaseline),
            AttributionText.Attribution(t.AttributionSum),
            t.ConvergenceDelta.ToString("0.00e+0", Inv),
            AttributionText.Tokens(Strongest(t.Words.Count > 0 ? t.Words : t.Tokens)),
        }).ToList();
        return new ResultSection(
            "Attributions per class (all targets)",
            ["#", "class", "F(x)-F(baseline)", "attribution sum", "delta", $"strongest words (top {WordsPerClass} by |attribution|)"],
            [true, false, true, true, true, false],
            rows,
            ["Each class is explained on its own: attributions > 0 push towards that class. * marks the class of the main explanation."]);
    }

    /// <summary>The non-special words (or tokens) with the largest |attribution|, strongest first.</summary>
    /// <param name="tokens">Words or tokens.</param>
    /// <returns>At most <see cref="WordsPerClass"/> of them.</returns>
    public static IEnumerable<TokenAttribution> Strongest(IEnumerable<TokenAttribution> tokens) =>
        tokens.Where(t => !t.Special).OrderByDescending(t => Math.Abs(t.Attribution)).Take(WordsPerClass);

    private static ResultSection Windows(ExplainResult result)
    {
        var rows = result.Windows.Select(w => new[]
        {
            w.Index.ToString(Inv),
            string.Create(Inv, $"{w.TokenStart}-{w.TokenEnd}"),
            string.Create(Inv, $"{w.Start}-{w.End}"),
            w.Prediction is { } p ? string.Create(Inv, $"{AttributionText.Clean(p.Label)} ({p.Probability:0.0000})") : string.Empty,
            AttributionText.Attribution(w.ScoreInput - w.ScoreBaseline),
            w.ConvergenceDelta.ToString("0.00e+0", Inv),
            w.NSteps.ToString(Inv),
        }).ToList();
        var mean = result.Prediction ?? new Prediction();
        return new ResultSection(
            "Long text: overlapping windows",
            ["window", "tokens", "characters", "window prediction", "F(x)-F(baseline)", "delta", "steps"],
            [true, true, true, false, true, true, true],
            rows,
            [
                string.Create(Inv, $"The text did not fit the model, so it was explained in {result.Windows.Count} overlapping windows; the prediction ")
                + string.Create(Inv, $"{AttributionText.Clean(mean.Label)} ({mean.Probability:0.0000}) is the mean of the windows' logits, and each token's ")
                + "attribution comes from the window where it is farthest from an edge. Token and character ranges are start-end, end exclusive.",
            ]);
    }

    private static ResultSection Faithfulness(ExplainResult result, Faithfulness f)
    {
        var rows = f.Points.Select(pt => new[]
        {
            pt.Fraction.ToString("0%", Inv),
            pt.Tokens.ToString(Inv),
            pt.Comprehensiveness.ToString("0.0000", Inv),
            pt.RandomComprehensiveness.ToString("0.0000", Inv),
            pt.Sufficiency.ToString("0.0000", Inv),
            pt.RandomSufficiency.ToString("0.0000", Inv),
        }).ToList();
        rows.Add(
        [
            "AOPC", string.Empty,
            f.ComprehensivenessAopc.ToString("0.0000", Inv), f.RandomComprehensivenessAopc.ToString("0.0000", Inv),
            f.SufficiencyAopc.ToString("0.0000", Inv), f.RandomSufficiencyAopc.ToString("0.0000", Inv),
        ]);
        return new ResultSection(
            "Faithfulness (ERASER)",
            ["top", "tokens", "comprehensiveness", "random", "sufficiency", "random"],
            [true, true, true, true, true, true],
            rows,
            [
                $"Comprehensiveness: how much p('{AttributionText.Clean(result.TargetLabel)}') drops when the top-ranked tokens are replaced by "
                + $"{AttributionText.Clean(f.ReplacementToken)} (higher is better); sufficiency: how much it drops when only they are kept (lower is better). "
                + string.Create(Inv, $"Random: the mean of {f.RandomRankings} random rankings, the reference to beat."),
                FaithfulnessVerdict(f),
            ]);
    }

    /// <summary>One sentence: does this ranking beat a random one on each measure?</summary>
    /// <param name="f">The scores.</param>
    /// <returns>The verdict.</returns>
    public static string FaithfulnessVerdict(Faithfulness f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var comprehensive = f.ComprehensivenessAopc > f.RandomComprehensivenessAopc;
        var sufficient = f.SufficiencyAopc < f.RandomSufficiencyAopc;
        return (comprehensive, sufficient) switch
        {
            (true, true) => "Verdict: the attribution ranking beats random rankings on both measures.",
            (true, false) => "Verdict: the ranking beats random on comprehensiveness but not on sufficiency.",
            (false, true) => "Verdict: the ranking beats random on sufficiency but not on comprehensiveness.",
            _ => "Verdict: the ranking does not beat random rankings; read these attributions with care.",
        };
    }
}
