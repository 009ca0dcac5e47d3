using System.Globalization;
using System.Text.RegularExpressions;
using BertIgGrpc.Cli.Rendering;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// How `bertig explain` shows the parts a request can ask for on top of the explanation (per-class attributions,
/// windows, faithfulness), on hand-built results: the rendering is client code, whatever the server computes.
/// </summary>
public sealed class SectionRenderingTests
{
    private static TokenAttribution Word(string token, double attribution, bool special = false) =>
        new() { Token = token, Attribution = attribution, AttributionNormalized = attribution / 2, Special = special };

    private static ExplainResult Result()
    {
        var result = new ExplainResult
        {
            Model = "minilm-sentiment", TargetLabel = "positive", TargetIndex = 1, NSteps = 50, AttributionSum = 1.2,
            Prediction = new Prediction { Label = "positive", Index = 1, Probability = 0.9 },
            Words = { Word("[CLS]", 0, true), Word("superb", 1.1), Word("but", -0.2), Word("long", -0.4), Word("[SEP]", 0, true) },
        };
        result.PerTarget.Add(new TargetAttributions
        {
            Index = 0, Label = "negative", ScoreInput = -1, ScoreBaseline = 0.5, AttributionSum = -1.5, ConvergenceDelta = 0.001,
            Words = { Word("[CLS]", 0.9, true), Word("superb", -1.1), Word("but", 0.2), Word("long", 0.4), Word("[SEP]", 0, true) },
        });
        result.PerTarget.Add(new TargetAttributions { Index = 1, Label = "positive", ScoreInput = 1, ScoreBaseline = -0.2, AttributionSum = 1.2, Words = { result.Words } });
        return result;
    }

    private static Faithfulness Scores(double comprehensiveness, double randomComprehensiveness, double sufficiency, double randomSufficiency) => new()
    {
        Points = { new FaithfulnessPoint { Fraction = 0.1, Tokens = 1, Comprehensiveness = 0.4, RandomComprehensiveness = 0.05, Sufficiency = 0.02, RandomSufficiency = 0.3 } },
        ComprehensivenessAopc = comprehensiveness, RandomComprehensivenessAopc = randomComprehensiveness,
        SufficiencyAopc = sufficiency, RandomSufficiencyAopc = randomSufficiency, RandomRankings = 8, ReplacementToken = "[PAD]",
    };

    [Fact]
    public void Plain_PerTarget_OneRowPerClassWithItsStrongestWordsAndTheExplainedClassMarked()
    {
        var text = PlainTextRenderer.Render(Result(), []);

        var lines = text.Split('\n');
        var title = Array.IndexOf(lines, "Attributions per class (all targets):");
        Assert.True(title > 0, text);
        Assert.Matches(@"^0  negative\s+-1\.5000\s+-1\.5000\s+1\.00e-3\s+superb -1\.1000  long \+0\.4000  but \+0\.2000$", lines[title + 2]);
        Assert.Matches(@"^1  positive \*\s+\+1\.2000\s+\+1\.2000\s+0\.00e\+0\s+superb \+1\.1000  long -0\.4000  but -0\.2000$", lines[title + 3]);
        Assert.DoesNotContain("[CLS] +0.9", text, StringComparison.Ordinal); // special tokens are never "strongest words"
    }

    [Theory]
    [InlineData(0.3, 0.1, 0.05, 0.2, "beats random rankings on both measures")]
    [InlineData(0.3, 0.1, 0.25, 0.2, "beats random on comprehensiveness but not on sufficiency")]
    [InlineData(0.05, 0.1, 0.25, 0.2, "does not beat random rankings")]
    public void Plain_Faithfulness_PointsAopcAgainstRandomAndAVerdict(double comp, double randomComp, double suff, double randomSuff, string verdict)
    {
        var result = Result();
        result.PerTarget.Clear();
        result.Faithfulness = Scores(comp, randomComp, suff, randomSuff);

        var text = PlainTextRenderer.Render(result, []);

        Assert.Contains("Faithfulness (ERASER):", text, StringComparison.Ordinal);
        Assert.Matches(@"\n\s*10%\s+1\s+0\.4000\s+0\.0500\s+0\.0200\s+0\.3000\n", text);
        Assert.Matches(string.Create(CultureInfo.InvariantCulture, $@"\n\s*AOPC\s+{comp:0.0000}\s+{randomComp:0.0000}\s+{suff:0.0000}\s+{randomSuff:0.0000}\n"), text);
        Assert.Contains("replaced by [PAD] (higher is better)", text, StringComparison.Ordinal);
        Assert.Contains("the mean of 8 random rankings", text, StringComparison.Ordinal);
        Assert.Contains(verdict, text, StringComparison.Ordinal);
        Assert.DoesNotContain("per class", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_PlainExplanation_HasNoExtraSections()
    {
        var result = Result();
        result.PerTarget.Clear();

        Assert.Empty(ResultSections.Build(result));
        Assert.DoesNotContain("(all targets)", PlainTextRenderer.Render(result, []), StringComparison.Ordinal);
    }

    [Fact]
    public void Terminal_PerTargetAndFaithfulness_ColouredRowPerClassThenTables()
    {
        var result = Result();
        result.Faithfulness = Scores(0.3, 0.1, 0.05, 0.2);
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        console.Profile.Width = 160;

        foreach (var renderable in TerminalRenderer.Sections(result, words: true))
        {
            console.Write(renderable);
        }

        var text = writer.ToString();
        Assert.Matches(@"negative:\s*\n\[CLS\] superb but long \[SEP\]", text);
        Assert.True(text.IndexOf("positive:", StringComparison.Ordinal) > text.IndexOf("negative:", StringComparison.Ordinal), text);
        Assert.Contains("Attributions per class (all targets)", text, StringComparison.Ordinal);
        Assert.Contains("Faithfulness (ERASER)", text, StringComparison.Ordinal);
        Assert.Contains("comprehensiveness", text, StringComparison.Ordinal);
        Assert.Contains("beats random rankings on both measures", text, StringComparison.Ordinal);
    }
    [Fact]
    public void Html_PerTargetWindowsAndFaithfulness_HighlightedRowPerClassThenEncodedTables()
    {
        var result = Result();
        result.PerTarget[0].Label = "<b>neg</b>";
        result.PerTarget[0].Words[1].Token = "<script>x</script>";
        result.Faithfulness = Scores(0.3, 0.1, 0.05, 0.2);
        result.Faithfulness.ReplacementToken = "<mask>";
        result.Windows.Add(new ExplainWindow
        {
            Index = 0, TokenStart = 0, TokenEnd = 510, Start = 0, End = 2100, ScoreInput = 1.5, ScoreBaseline = 0.25, ConvergenceDelta = 0.002, NSteps = 4,
            Prediction = new Prediction { Label = "positive", Index = 1, Probability = 0.875 },
        });
        result.Windows.Add(new ExplainWindow { Index = 1, TokenStart = 255, TokenEnd = 700, Start = 1000, End = 2900, NSteps = 4 });

        var html = ExplainHtmlRenderer.Render(result, new ExplainHtmlOptions { UseWords = true });

        // One highlighted row per class, with the explained class marked, coloured like the main row (normalised 0.55 → green).
        var perClass = html.IndexOf("<h3>Highlighted text per class</h3>", StringComparison.Ordinal);
        Assert.True(perClass > html.IndexOf("Word Importance</th>", StringComparison.Ordinal), html);
        Assert.Contains("<td><b>&lt;b&gt;neg&lt;/b&gt;</b></td><td class=\"words\">", html, StringComparison.Ordinal);
        Assert.Contains("<td><b>positive *</b></td>", html, StringComparison.Ordinal);
        Assert.Contains(">&lt;script&gt;x&lt;/script&gt;</mark>", html, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(html, $"style=\"background-color: {AttributionColors.For(0.55).Css}\" title=\"1.1000\">superb</mark>"));
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>neg</b>", html, StringComparison.Ordinal);

        // The ResultSections tables follow in order, every cell encoded, numbers right-aligned.
        var titles = new[] { "Attributions per class (all targets)", "Long text: overlapping windows", "Faithfulness (ERASER)" }
            .Select(t => html.IndexOf($"<h3>{t}</h3>", StringComparison.Ordinal)).ToArray();
        Assert.True(perClass < titles[0] && titles[0] < titles[1] && titles[1] < titles[2], string.Join(",", titles));
        Assert.Contains("<td class=\"num\">0</td><td>&lt;b&gt;neg&lt;/b&gt;</td><td class=\"num\">-1.5000</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">0-510</td><td class=\"num\">0-2100</td><td>positive (0.8750)</td><td class=\"num\">+1.2500</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">255-700</td><td class=\"num\">1000-2900</td><td></td>", html, StringComparison.Ordinal);
        Assert.Contains("explained in 2 overlapping windows", html, StringComparison.Ordinal);
        Assert.Contains("<th class=\"num\">comprehensiveness</th>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">10%</td><td class=\"num\">1</td><td class=\"num\">0.4000</td><td class=\"num\">0.0500</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">AOPC</td><td class=\"num\"></td><td class=\"num\">0.3000</td><td class=\"num\">0.1000</td><td class=\"num\">0.0500</td><td class=\"num\">0.2000</td>", html, StringComparison.Ordinal);
        Assert.Contains("replaced by &lt;mask&gt; (higher is better)", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"meta\">Verdict: the attribution ranking beats random rankings on both measures.</p>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_PlainExplanation_HasNoExtraSections()
    {
        var result = Result();
        result.PerTarget.Clear();

        var html = ExplainHtmlRenderer.Render(result);

        Assert.DoesNotContain("<h3>", html, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(html, "<table"));
    }

    private static int CountOf(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;
}
