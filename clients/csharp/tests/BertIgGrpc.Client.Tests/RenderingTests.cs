using BertIgGrpc.Cli.Rendering;
using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Client.Tests;

public sealed class RenderingTests
{
    private static ExplainResult Result(params (string Token, double Normalized)[] tokens)
    {
        var result = new ExplainResult
        {
            Model = "minilm-sentiment",
            TargetLabel = "positive",
            TargetIndex = 1,
            Prediction = new Prediction { Label = "positive", Index = 1, Probability = 0.987 },
            AttributionSum = 1.25,
            ConvergenceDelta = -0.00012,
            NSteps = 50,
        };
        foreach (var (token, normalized) in tokens)
        {
            result.Tokens.Add(new TokenAttribution { Token = token, Attribution = normalized * 2, AttributionNormalized = normalized });
        }

        return result;
    }

    [Fact]
    public void Render_ScriptToken_IsHtmlEscaped()
    {
        var html = ExplainHtmlRenderer.Render(Result(("<script>alert('x')</script>", 0.5), ("a&b\"c", -0.2)));

        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("a&amp;b&quot;c", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_LabelsAndTrueLabel_AreEscaped()
    {
        var result = Result(("ok", 0.1));
        result.TargetLabel = "<b>pos</b>";

        var html = ExplainHtmlRenderer.Render(result, new ExplainHtmlOptions { TrueLabel = "<img src=x onerror=alert(1)>", Text = "<i>t</i>" });

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>pos</b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>t</i>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Result_ShowsCaptumColumnsLegendAndDelta()
    {
        var html = ExplainHtmlRenderer.Render(Result(("[CLS]", 0), ("superb", 0.9), ("[SEP]", 0)));

        foreach (var header in new[] { "True Label", "Predicted Label", "Attribution Label", "Attribution Score", "Convergence Delta", "Word Importance", "Legend" })
        {
            Assert.Contains(header, html, StringComparison.Ordinal);
        }

        Assert.Contains("positive (0.99)", html, StringComparison.Ordinal);
        Assert.Contains("1.25", html, StringComparison.Ordinal);
        Assert.Contains("-1.2000e-4", html, StringComparison.Ordinal);
        Assert.Contains("background-color: hsl(120, 75%, 55%)\" title=\"1.8000\">superb</mark>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, 0, 100)]
    [InlineData(1.0, 120, 50)]
    [InlineData(0.5, 120, 75)]
    [InlineData(-1.0, 0, 60)]
    [InlineData(-0.5, 0, 80)]
    [InlineData(7.0, 120, 50)]
    [InlineData(-7.0, 0, 60)]
    [InlineData(double.NaN, 0, 100)]
    public void For_NormalizedAttribution_MatchesCaptumColor(double attribution, int hue, int lightness)
    {
        var color = AttributionColors.For(attribution);

        Assert.Equal(new HslColor(hue, 75, lightness), color);
    }

    [Fact]
    public void ToRgb_Positive_IsGreenAndNegative_IsRed()
    {
        var (pr, pg, pb) = AttributionColors.For(0.8).ToRgb();
        var (nr, ng, nb) = AttributionColors.For(-0.8).ToRgb();
        var (zr, zg, zb) = AttributionColors.For(0).ToRgb();

        Assert.True(pg > pr && pg > pb, $"positive should be green, got {pr},{pg},{pb}");
        Assert.True(nr > ng && nr > nb, $"negative should be red, got {nr},{ng},{nb}");
        Assert.Equal(((byte)255, (byte)255, (byte)255), (zr, zg, zb));
    }

    [Fact]
    public void Css_Color_UsesInvariantFormat()
    {
        Assert.Equal("hsl(120, 75%, 50%)", AttributionColors.For(1).Css);
    }

    /// <summary>[CLS] un ##believ ##able film [SEP] with words [CLS] unbelievable film [SEP].</summary>
    private static ExplainResult SplitWordResult()
    {
        var result = Result(("[CLS]", 0), ("un", 0.1), ("##believ", -0.4), ("##able", 0.05), ("film", 0.3), ("[SEP]", 0));
        result.Tokens[0].Special = result.Tokens[^1].Special = true;
        foreach (var (word, attribution) in new[] { ("[CLS]", 0.0), ("unbelievable", -0.5), ("film", 0.6), ("[SEP]", 0.0) })
        {
            result.Words.Add(new TokenAttribution { Token = word, Attribution = attribution, AttributionNormalized = attribution / 0.781, Special = word.StartsWith('[') });
        }

        return result;
    }

    [Fact]
    public void Build_SplitWord_GroupsItsPiecesUnderTheWord()
    {
        var rows = AttributionRows.Build(SplitWordResult());

        Assert.Equal(["[CLS]", "unbelievable", "film", "[SEP]"], rows.Select(r => r.Word.Token));
        Assert.Equal(["un", "##believ", "##able"], rows[1].Tokens.Select(t => t.Token));
        Assert.Equal("un +0.2000  ##believ -0.8000  ##able +0.1000", AttributionText.Tokens(rows[1].Tokens));
    }

    [Theory]
    [InlineData(AttributionSort.Position, null, new[] { "[CLS]", "unbelievable", "film", "[SEP]" })]
    [InlineData(AttributionSort.Attribution, null, new[] { "film", "[CLS]", "[SEP]", "unbelievable" })]
    [InlineData(AttributionSort.Magnitude, 2, new[] { "film", "unbelievable" })]
    [InlineData(AttributionSort.Position, 2, new[] { "unbelievable", "film" })]
    public void Build_SortAndTop_OrderAndCutTheRows(AttributionSort sort, int? top, string[] expected)
        => Assert.Equal(expected, AttributionRows.Build(SplitWordResult(), sort, top).Select(r => r.Word.Token));

    [Fact]
    public void Build_NoWordsFromServer_ListsEveryTokenAsARow()
    {
        var result = SplitWordResult();
        result.Words.Clear();

        Assert.Equal(6, AttributionRows.Build(result).Count);
    }

    [Fact]
    public void PlainText_Result_AlignsColumnsAndExplainsTheScore()
    {
        var result = SplitWordResult();
        var text = PlainTextRenderer.Render(result, AttributionRows.Build(result));
        var lines = text.Split('\n');

        Assert.Contains("attribution score: +1.2500 (= F(x) - F(baseline)", text, StringComparison.Ordinal);
        var header = Array.FindIndex(lines, l => l.StartsWith("#  word", StringComparison.Ordinal));
        Assert.True(header >= 0, text);
        // Every number ends in the same column as its title.
        var end = lines[header].IndexOf("attribution", StringComparison.Ordinal) + "attribution".Length;
        foreach (var line in lines[(header + 1)..^1])
        {
            Assert.Matches(@"\d$", line[..end]);
        }

        Assert.Contains("unbelievable", lines[header + 2], StringComparison.Ordinal);
        Assert.EndsWith("un +0.2000  ##believ -0.8000  ##able +0.1000", lines[header + 2], StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_ControlCharacters_AreReplacedBeforePrinting()
        => Assert.Equal("a\uFFFD[31mb", AttributionText.Clean("a\u001b[31mb"));
}
