using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// Faithfulness with LONG_TEXT_WINDOWS on the 40-token closed-form model: the ranking is the stitched whole-text one,
/// every perturbed text is classified in the original text's windows by the mean of their logits (checked against
/// separate windowed predictions of the perturbed ids), the rows x windows run within the memory budget, and they count
/// in <c>BertIg:Limits:MaxTokenSteps</c>.
/// </summary>
public class LongTextWindowsFaithfulnessTests
{
    private static readonly string Text = LongTexts.OfTokens(150); // 8 windows or so of 38 text tokens

    private static ExplainRequestOptions Request(BaselineKind baseline = BaselineKind.Pad)
        => LongTexts.WindowsRequest(Text) with { Faithfulness = true, Baseline = baseline };

    [Theory]
    [InlineData(BaselineKind.Pad)]
    [InlineData(BaselineKind.Mask)]
    [InlineData(BaselineKind.Zero)]
    public async Task Explain_WindowsFaithfulness_EqualsWindowedPredictionsOfThePerturbedTexts(BaselineKind baseline)
    {
        var (model, _) = LongTexts.WindowsModel();
        var explanation = await model.ExplainAsync(Request(baseline));
        var scores = explanation.Faithfulness!;
        var target = explanation.TargetIndex;
        var windows = explanation.Windows;
        Assert.InRange(windows.Count, 4, 12);
        Assert.Equal(explanation.Prediction.Index, target); // the headline target

        var whole = model.Tokenizer.EncodeWhole(Text);
        var replacementId = baseline == BaselineKind.Mask ? model.Tokenizer.MaskId : model.Tokenizer.PadId;
        Assert.Equal(baseline == BaselineKind.Mask ? "[MASK]" : "[PAD]", scores.ReplacementToken);

        // The ranking, from the public result: the stitched whole-text tokens by attribution, highest first, earlier first on ties.
        var ranking = explanation.Tokens.Select((t, i) => (t, i)).Where(x => !x.t.Special).OrderByDescending(x => x.t.Attribution).Select(x => x.i).ToArray();
        var n = ranking.Length;
        var ks = new[] { 10, 20, 30, 40, 50 }.Select(percent => (int)Math.Ceiling(percent * n / 100.0)).ToArray();
        Assert.Equal(ks, scores.Points.Select(p => p.Tokens));

        var rows = new List<int[]> { whole.Ids };
        foreach (var order in new[] { ranking }.Concat(FaithfulnessScoring.RandomRanks(whole.Special)))
        {
            foreach (var k in ks)
            {
                var top = order[..k];
                rows.Add(whole.Ids.Select((id, i) => top.Contains(i) ? replacementId : id).ToArray());
                rows.Add(whole.Ids.Select((id, i) => top.Contains(i) || whole.Special[i] ? id : replacementId).ToArray());
            }
        }

        // One separate windowed prediction per perturbed text, in the result's windows.
        var p = new List<double>();
        foreach (var row in rows)
        {
            var perturbed = FaithfulnessModelTests.WithIds(whole, row);
            var windowInputs = windows.Select(w => perturbed.Window(w.TokenStart - 1, w.TokenEnd - 1)).ToArray();
            var plan = new PredictionPlan(model, windowInputs, [windowInputs.Length], windowInputs.Sum(e => (long)e.Length));
            var prediction = (await model.PredictAsync(plan))[0];
            Assert.Equal(windows.Count, prediction.Windows);
            p.Add(prediction.Probabilities[target]);
        }

        const double Tolerance = 1e-5; // float probabilities
        Assert.Equal(explanation.Prediction.Probabilities[target], p[0], Tolerance);
        for (var point = 0; point < 5; point++)
        {
            var actual = scores.Points[point];
            Assert.Equal(p[0] - p[1 + 2 * point], actual.Comprehensiveness, Tolerance);
            Assert.Equal(p[0] - p[2 + 2 * point], actual.Sufficiency, Tolerance);
            Assert.Equal(Enumerable.Range(1, 10).Average(r => p[0] - p[1 + 2 * (r * 5 + point)]), actual.RandomComprehensiveness, Tolerance);
            Assert.Equal(Enumerable.Range(1, 10).Average(r => p[0] - p[2 + 2 * (r * 5 + point)]), actual.RandomSufficiency, Tolerance);
        }

        Assert.Contains(scores.Points, x => Math.Abs(x.Comprehensiveness) > 1e-3); // the perturbations move the prediction
        Assert.Equal(scores.Points.Average(x => x.Comprehensiveness), scores.ComprehensivenessAopc, 12);
        Assert.Equal(scores.Points.Average(x => x.RandomSufficiency), scores.RandomSufficiencyAopc, 12);
    }

    [Fact]
    public async Task Explain_WindowsFaithfulness_RowsTimesWindowsRunWithinTheMemoryBudget_SameScores()
    {
        var (reference, _) = LongTexts.WindowsModel();
        var expected = await reference.ExplainAsync(Request());

        // 3 rows of 40 tokens per run.
        var (model, runtime) = LongTexts.WindowsModel(new BertIgLimitsOptions { MaxRunMemoryMB = 1, MaxTokenSteps = 0 }, bytesPerToken: 1024 * 1024 / (3 * LongTexts.WindowsModelMaxTokens));
        Assert.Equal(3, model.MaxRowsPerRun(LongTexts.WindowsModelMaxTokens));
        await model.ExplainAsync(Request() with { Faithfulness = false });
        var plainRows = runtime.ForwardRows.Sum();
        var scored = await model.ExplainAsync(Request());

        // Every window once more per faithfulness row, after the integration, in runs of at most 3 rows.
        var faithfulnessRows = scored.Windows.Count * FaithfulnessScoring.RowsPerText;
        Assert.Equal(2 * plainRows + faithfulnessRows, runtime.ForwardRows.Sum());
        var runs = runtime.ForwardRows.ToArray();
        var last = runs.Length;
        for (var sum = 0; sum < faithfulnessRows; sum += runs[--last])
        {
            Assert.InRange(runs[last - 1], 1, 3);
        }

        Assert.True(runs.Length - last >= faithfulnessRows / 3, $"{runs.Length - last} runs for {faithfulnessRows} rows");
        var (a, b) = (expected.Faithfulness!, scored.Faithfulness!);
        Assert.Equal(a.Points.Select(x => x.Tokens), b.Points.Select(x => x.Tokens));
        Assert.Equal(a.Points.Select(x => (x.Comprehensiveness, x.Sufficiency, x.RandomComprehensiveness, x.RandomSufficiency)),
            b.Points.Select(x => (x.Comprehensiveness, x.Sufficiency, x.RandomComprehensiveness, x.RandomSufficiency)),
            (x, y) => Math.Abs(x.Comprehensiveness - y.Comprehensiveness) + Math.Abs(x.Sufficiency - y.Sufficiency)
                + Math.Abs(x.RandomComprehensiveness - y.RandomComprehensiveness) + Math.Abs(x.RandomSufficiency - y.RandomSufficiency) < 1e-6);
    }

    [Fact]
    public async Task Explain_WindowsFaithfulnessWithAllTargets_ScoresTheHeadlineTarget()
    {
        var (model, _) = LongTexts.WindowsModel();
        var single = await model.ExplainAsync(Request());
        var all = await model.ExplainAsync(Request() with { AllTargets = true });

        Assert.Equal(2, all.PerTarget.Count);
        Assert.Equal(single.TargetIndex, all.TargetIndex);
        Assert.Equal(single.Faithfulness!.Points.Select(x => x.Comprehensiveness), all.Faithfulness!.Points.Select(x => x.Comprehensiveness), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(single.Faithfulness.SufficiencyAopc, all.Faithfulness.SufficiencyAopc, 1e-6);
    }

    [Fact]
    public void Plan_WindowsFaithfulness_CountsRowsTimesEveryWindowsTokensInMaxTokenSteps()
    {
        var rows = FaithfulnessScoring.RowsPerText;
        var (unlimited, _) = LongTexts.WindowsModel();
        var plain = unlimited.Plan(LongTexts.WindowsRequest(Text));
        var windowTokens = plain.TokenSteps / 4;
        Assert.True(windowTokens > plain.Tokens, $"{windowTokens} window tokens for {plain.Tokens} text tokens");
        Assert.Equal(windowTokens * (4 + rows), unlimited.Plan(Request()).TokenSteps);

        var (model, runtime) = LongTexts.WindowsModel(new BertIgLimitsOptions { MaxTokenSteps = windowTokens * (4 + rows) });
        Assert.Equal(plain.Windows, model.Plan(Request()).Windows);
        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(Request() with { Steps = 5 }));
        Assert.Equal("BertIg:Limits:MaxTokenSteps", ex.Limit);
        Assert.Equal(windowTokens * (5 + rows), ex.Figure);
        Assert.Contains($"in {plain.Windows} windows", ex.Message);
        Assert.Contains($"{rows} faithfulness rows", ex.Message);
        Assert.Contains("at most 4 steps", ex.Message);

        // Over the limit even at the fewest steps (2 for Riemann): the text itself is too long for faithfulness on this server.
        var (small, smallRuntime) = LongTexts.WindowsModel(new BertIgLimitsOptions { MaxTokenSteps = windowTokens * (2 + rows) - 1 });
        var tooLong = Assert.Throws<InvalidExplainRequestException>(() => small.Plan(Request() with { Steps = 2 }));
        Assert.Equal("text", tooLong.Field);
        Assert.Contains("leave faithfulness off", tooLong.Message);
        Assert.Equal(0, runtime.ForwardCalls + runtime.GradientCalls + smallRuntime.ForwardCalls + smallRuntime.GradientCalls);
    }
}
