using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// LONG_TEXT_WINDOWS on the closed-form runtime with a 40-token model, so that a 1,500-token text makes dozens of
/// windows and every window can be checked against explaining it alone.
/// </summary>
public class LongTextWindowsTests
{
    private const int MaxTokens = LongTexts.WindowsModelMaxTokens;
    private static readonly string Text = LongTexts.OfTokens(1500);

    private static (ExplainerModel Model, CubicTestRuntime Runtime) Create(BertIgLimitsOptions? limits = null, long bytesPerToken = 0)
        => LongTexts.WindowsModel(limits, bytesPerToken);

    private static ExplainRequestOptions Windows(string text = "", int steps = 4) => LongTexts.WindowsRequest(text.Length == 0 ? Text : text, steps);

    [Fact]
    public async Task Explain_1500Tokens_EveryTokenAttributedWithOffsetsIntoTheText()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Windows());

        Assert.True(explanation.Tokens.Count > 1500);
        LongTexts.AssertCoversText(Text, explanation.Tokens);
        Assert.Equal(1.0, explanation.Tokens.Sum(t => t.AttributionNormalized * t.AttributionNormalized), 1e-9);
        Assert.All(explanation.Tokens.Skip(1).SkipLast(1), t => Assert.NotEqual(0.0, t.Attribution));
        Assert.Equal(explanation.Tokens.Sum(t => t.Attribution), explanation.AttributionSum, 1e-9);
        Assert.Equal(explanation.Tokens.Sum(t => t.Attribution), explanation.Words.Sum(w => w.Attribution), 1e-9);
        Assert.Equal(Text.Length, explanation.Words.Where(w => !w.Special).Max(w => w.End));
        Assert.False(explanation.Truncated);

        // Windows in text order, each at most the model's width, overlapping the next, together spanning the text.
        var windows = explanation.Windows;
        Assert.True(windows.Count > 40, $"{windows.Count} windows");
        Assert.Equal(Enumerable.Range(0, windows.Count), windows.Select(w => w.Index));
        Assert.Equal((1, explanation.Tokens.Count - 1), (windows[0].TokenStart, windows[^1].TokenEnd));
        for (var w = 0; w < windows.Count; w++)
        {
            var window = windows[w];
            Assert.InRange(window.TokenEnd - window.TokenStart, MaxTokens / 2, MaxTokens - 2);
            Assert.Equal((explanation.Tokens[window.TokenStart].Start, explanation.Tokens[window.TokenEnd - 1].End), (window.Start, window.End));
            Assert.False(explanation.Tokens[window.TokenStart].Token.StartsWith("##", StringComparison.Ordinal));
            if (w > 0)
            {
                Assert.InRange(window.TokenStart, windows[w - 1].TokenStart + 1, windows[w - 1].TokenEnd - 1);
            }
        }
    }

    [Fact]
    public async Task Explain_EachWindow_EqualsExplainingTheWindowAlone()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Windows());
        var tokens = explanation.Tokens;
        var fromWindow = new int[tokens.Count];
        foreach (var window in explanation.Windows)
        {
            var alone = await model.ExplainAsync(Windows(Text[window.Start..window.End]) with { LongText = LongTextMode.Reject, TargetIndex = explanation.TargetIndex });
            Assert.Empty(alone.Windows);
            Assert.Equal(window.TokenEnd - window.TokenStart + 2, alone.Tokens.Count);
            Assert.Equal(alone.Prediction.Logits.Select(l => (double)l), window.Prediction.Logits.Select(l => (double)l), (a, b) => Math.Abs(a - b) < 1e-6);
            Assert.Equal(alone.ScoreInput, window.ScoreInput, 1e-6);
            Assert.Equal(alone.ScoreBaseline, window.ScoreBaseline, 1e-6);
            Assert.Equal(alone.ConvergenceDelta, window.ConvergenceDelta, 1e-6);
            Assert.Equal(alone.Steps, window.Steps);
            for (var k = 1; k < alone.Tokens.Count - 1; k++)
            {
                var token = tokens[window.TokenStart + k - 1];
                Assert.Equal(token.Token, alone.Tokens[k].Token);
                Assert.Equal((token.Start, token.End), (alone.Tokens[k].Start + window.Start, alone.Tokens[k].End + window.Start));

                // The token is taken from the window where it is farthest from an edge: when that is this one, the values agree.
                if (Owner(explanation.Windows, window.TokenStart + k - 1) == window.Index)
                {
                    Assert.Equal(alone.Tokens[k].Attribution, token.Attribution, 1e-6); // float rounding of differently batched runs
                    fromWindow[window.TokenStart + k - 1]++;
                }
            }
        }

        Assert.All(fromWindow.Skip(1).SkipLast(1), n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task Explain_WholeTextPrediction_MeanOfWindowLogitsAndItsClassIsTheTarget()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Windows());

        var windows = explanation.Windows;
        Assert.Equal(windows.Count, explanation.Prediction.Windows);
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(windows.Average(w => (double)w.Prediction.Logits[c]), explanation.Prediction.Logits[c], 1e-5);
        }

        Assert.Equal(explanation.Prediction.Index, explanation.TargetIndex);
        Assert.Equal(windows.Average(w => w.ScoreInput), explanation.ScoreInput, 1e-9);
        Assert.Equal(explanation.Prediction.Logits[explanation.TargetIndex], explanation.ScoreInput, 1e-4);
        Assert.Equal(windows.Average(w => w.ScoreBaseline), explanation.ScoreBaseline, 1e-9);
        Assert.Equal(windows.MaxBy(w => Math.Abs(w.ConvergenceDelta))!.ConvergenceDelta, explanation.ConvergenceDelta);
        Assert.Equal(4, explanation.Steps);

        var other = 1 - explanation.TargetIndex;
        var forOther = await model.ExplainAsync(Windows() with { TargetIndex = other });
        Assert.Equal(other, forOther.TargetIndex);
        Assert.Equal(explanation.Prediction.Logits, forOther.Prediction.Logits);
    }

    [Fact]
    public async Task Explain_Progress_CountsEveryWindowsSteps()
    {
        var (model, _) = Create();
        var events = new List<ExplainProgress>();
        var explanation = await model.ExplainAsync(Windows() with { InternalBatchSize = 10 }, new InlineProgress(events.Add));

        var total = explanation.Windows.Count * 4;
        Assert.All(events, e => Assert.Equal(total, e.StepsTotal));
        Assert.Equal(total, events[^1].StepsDone);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.Second.StepsDone > p.First.StepsDone));
        Assert.All(events, e => Assert.Equal(explanation.Tokens.Count, e.PartialTokens.Count));
        Assert.Equal(explanation.Tokens.Select(t => t.Attribution), events[^1].PartialTokens.Select(t => t.Attribution));
    }

    [Fact]
    public async Task Explain_MemoryBudget_WindowsRunInGroupsWithTheSameResult()
    {
        var (reference, _) = Create();
        var expected = await reference.ExplainAsync(Windows());

        // 3 rows of 40 tokens per run: windows are integrated three at a time, one step each.
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1, MaxTokenSteps = 0 }, bytesPerToken: 1024 * 1024 / (3 * MaxTokens));
        Assert.Equal(3, model.MaxRowsPerRun(MaxTokens));
        var explanation = await model.ExplainAsync(Windows());

        Assert.All(runtime.GradientRows, rows => Assert.InRange(rows, 1, 3));
        Assert.Equal(expected.Tokens.Select(t => t.Attribution), explanation.Tokens.Select(t => t.Attribution), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public async Task Explain_TextThatFits_NoWindowsAsWithoutTheMode()
    {
        var (model, _) = Create();
        const string text = "A noisy, hideous, and viciously cumbersome movie";
        var windowed = await model.ExplainAsync(Windows(text));
        var plain = await model.ExplainAsync(Windows(text) with { LongText = LongTextMode.Reject });

        Assert.Empty(windowed.Windows);
        Assert.Equal(0, windowed.Prediction.Windows);
        Assert.Equal(plain.Tokens, windowed.Tokens);
    }

    [Fact]
    public async Task Predict_Windows_MeanOfTheWindowsLogits()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Windows());
        var predictions = await model.PredictAsync(model.PlanPrediction([Text, "superb"], LongTextMode.Windows));

        var alone = await model.PredictAsync(explanation.Windows.Select(w => Text[w.Start..w.End]).ToArray());
        Assert.Equal(explanation.Windows.Count, predictions[0].Windows);
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(alone.Average(p => (double)p.Logits[c]), predictions[0].Logits[c], 1e-5);
        }

        Assert.Equal(explanation.Prediction.Logits, predictions[0].Logits);
        Assert.Equal(explanation.Prediction.Label, predictions[0].Label);
        Assert.Equal(0, predictions[1].Windows);
        Assert.Equal((await model.PredictAsync(["superb"]))[0].Logits, predictions[1].Logits);
        Assert.True((await model.PredictAsync(model.PlanPrediction([Text], LongTextMode.Truncate)))[0].Truncated);
    }

    [Theory]
    [InlineData(LongTextMode.Windows, 38, "window_stride")]
    [InlineData(LongTextMode.Windows, -1, "window_stride")]
    [InlineData(LongTextMode.Reject, 5, "window_stride")]
    [InlineData(LongTextMode.Truncate, 5, "window_stride")]
    public void BadStride_InvalidArgumentNamingTheField(LongTextMode mode, int stride, string field)
    {
        var (model, _) = Create();
        var request = Windows("short") with { LongText = mode, WindowStride = stride };
        Assert.Equal(field, Assert.Throws<InvalidExplainRequestException>(() => model.Plan(request)).Field);
        Assert.Equal(field, Assert.Throws<InvalidExplainRequestException>(() => model.PlanPrediction(["short"], mode, stride)).Field);
    }

    [Theory]
    [InlineData(37)]
    [InlineData(5)]
    public async Task Stride_WindowsStartAtMostThatFarApart(int stride)
    {
        var (model, _) = Create();
        var windows = (await model.ExplainAsync(Windows() with { WindowStride = stride, Steps = 2 })).Windows;
        Assert.All(windows.Zip(windows.Skip(1)), p => Assert.InRange(p.Second.TokenStart - p.First.TokenStart, 1, stride));
        Assert.InRange(windows.Count, (1500 - MaxTokens) / stride, 1500 * 2 / stride);
    }

    [Fact]
    public void Windows_WithTextPair_InvalidArgumentOnLongTextSayingWhy_FaithfulnessIsPlanned()
    {
        var (model, _) = Create();

        // Refused whatever the text's length, so that an answer does not depend on how long a text happens to be.
        foreach (var text in new[] { Text, "short" })
        {
            var ex = Assert.Throws<InvalidExplainRequestException>(() => model.Plan(Windows(text) with { TextPair = "a pair" }));
            Assert.Equal("long_text", ex.Field);
            Assert.Contains("cannot be combined with text_pair", ex.Message);
            Assert.Contains("LONG_TEXT_TRUNCATE", ex.Message);
        }

        // Faithfulness combines with windows (LongTextWindowsFaithfulnessTests): a long text is planned in windows, a short one alone.
        Assert.True(model.Plan(Windows() with { Faithfulness = true }).Windows > 40);
        Assert.Equal(0, model.Plan(Windows("short") with { Faithfulness = true }).Windows);
    }

    [Fact]
    public void Plan_Limits_CountEveryWindowsTokens()
    {
        var (unlimited, _) = Create();
        var plan = unlimited.Plan(Windows());
        var windowTokens = plan.TokenSteps / 4;
        Assert.True(windowTokens > plan.Tokens, $"{windowTokens} window tokens for {plan.Tokens} text tokens");
        Assert.True(plan.Windows > 40);

        var (model, runtime) = Create(new BertIgLimitsOptions { MaxTokenSteps = windowTokens * 4 - 1 });
        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(Windows()));
        Assert.Equal(windowTokens * 4, ex.Figure);
        Assert.Contains($"in {plan.Windows} windows", ex.Message);
        Assert.Equal(0, runtime.ForwardCalls + runtime.GradientCalls);

        var (predictLimited, _) = Create(new BertIgLimitsOptions { MaxPredictTokens = windowTokens - 1 });
        Assert.Equal("texts", Assert.Throws<InvalidExplainRequestException>(() => predictLimited.PlanPrediction([Text], LongTextMode.Windows)).Field);
    }

    /// <summary>The window a token is stitched from: the rule restated over the result's windows (the earlier one on a tie).</summary>
    private static int Owner(IReadOnlyList<ExplanationWindow> windows, int token)
    {
        var best = (Window: -1, Distance: -1);
        foreach (var w in windows.Where(w => token >= w.TokenStart && token < w.TokenEnd))
        {
            var distance = Math.Min(token - w.TokenStart, w.TokenEnd - 1 - token);
            if (distance > best.Distance)
            {
                best = (w.Index, distance);
            }
        }

        return best.Window;
    }

    private sealed class InlineProgress(Action<ExplainProgress> action) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => action(value);
    }
}
