using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// LONG_TEXT_WINDOWS with all_targets on the closed-form runtime with a 40-token model (as <see cref="LongTextWindowsTests"/>):
/// every class is stitched over the windows as the headline is, so each class's list must equal the windows
/// explanation of that class alone.
/// </summary>
public class LongTextWindowsAllTargetsTests
{
    private const int MaxTokens = LongTexts.WindowsModelMaxTokens;
    private static readonly string Text = LongTexts.OfTokens(1500);

    private static (ExplainerModel Model, CubicTestRuntime Runtime) Create(BertIgLimitsOptions? limits = null, long bytesPerToken = 0)
        => LongTexts.WindowsModel(limits, bytesPerToken);

    private static ExplainRequestOptions Windows(bool allTargets = true) => LongTexts.WindowsRequest(Text, allTargets: allTargets);

    [Fact]
    public async Task Explain_EachClass_CoversTheTextAndEqualsTheWindowsExplanationOfThatClass()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Windows());

        Assert.True(explanation.Windows.Count > 40);
        Assert.Equal([0, 1], explanation.PerTarget.Select(p => p.Index));
        foreach (var perTarget in explanation.PerTarget)
        {
            LongTexts.AssertCoversText(Text, perTarget.Tokens);
            Assert.Equal(explanation.Tokens.Select(t => (t.Token, t.Start, t.End)), perTarget.Tokens.Select(t => (t.Token, t.Start, t.End)));
            Assert.Equal(explanation.Words.Select(t => (t.Token, t.Start, t.End)), perTarget.Words.Select(t => (t.Token, t.Start, t.End)));
            Assert.All(perTarget.Tokens.Skip(1).SkipLast(1), t => Assert.NotEqual(0.0, t.Attribution));

            var alone = await model.ExplainAsync(Windows(allTargets: false) with { TargetIndex = perTarget.Index });
            Assert.Empty(alone.PerTarget);
            Assert.Equal(alone.TargetLabel, perTarget.Label);
            Assert.Equal(alone.Tokens.Select(t => t.Attribution), perTarget.Tokens.Select(t => t.Attribution), Close);
            Assert.Equal(alone.Words.Select(t => t.Attribution), perTarget.Words.Select(t => t.Attribution), Close);
            Assert.Equal(alone.ScoreInput, perTarget.ScoreInput, 1e-6);
            Assert.Equal(alone.ScoreBaseline, perTarget.ScoreBaseline, 1e-6);
            Assert.Equal(alone.ConvergenceDelta, perTarget.ConvergenceDelta, 1e-6);
            Assert.Equal(alone.AttributionSum, perTarget.AttributionSum, 1e-6);
            Assert.Equal(alone.Steps, perTarget.Steps);
        }

        // The target's entry carries the main result's figures, and the classes differ.
        var main = explanation.PerTarget[explanation.TargetIndex];
        Assert.Equal(explanation.Tokens, main.Tokens);
        Assert.Equal(explanation.Words, main.Words);
        Assert.Equal(
            (explanation.ScoreInput, explanation.ScoreBaseline, explanation.ConvergenceDelta, explanation.AttributionSum, explanation.Steps),
            (main.ScoreInput, main.ScoreBaseline, main.ConvergenceDelta, main.AttributionSum, main.Steps));
        Assert.NotEqual(explanation.PerTarget[0].AttributionSum, explanation.PerTarget[1].AttributionSum);
    }

    [Fact]
    public async Task Explain_MemoryBudget_ClassesShareRunsWithinTheBudget()
    {
        var (reference, _) = Create();
        var expected = await reference.ExplainAsync(Windows());

        // 3 rows of 40 tokens per run: one window's 2 classes fit a run, two windows' do not.
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1, MaxTokenSteps = 0 }, bytesPerToken: 1024 * 1024 / (3 * MaxTokens));
        Assert.Equal(3, model.MaxRowsPerRun(MaxTokens));
        var explanation = await model.ExplainAsync(Windows());

        Assert.All(runtime.GradientRows, rows => Assert.InRange(rows, 1, 3));
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(expected.PerTarget[c].Tokens.Select(t => t.Attribution), explanation.PerTarget[c].Tokens.Select(t => t.Attribution), Close);
        }
    }

    [Fact]
    public async Task Explain_Progress_CountsEveryWindowsStepsOnceForAllClasses()
    {
        var (model, _) = Create();
        var events = new List<ExplainProgress>();
        var explanation = await model.ExplainAsync(Windows() with { InternalBatchSize = 10 }, new SynchronousProgress<ExplainProgress>(events.Add));

        var total = explanation.Windows.Count * 4;
        Assert.All(events, e => Assert.Equal(total, e.StepsTotal));
        Assert.Equal(total, events[^1].StepsDone);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.Second.StepsDone >= p.First.StepsDone));
        Assert.Equal(explanation.Tokens.Select(t => t.Attribution), events[^1].PartialTokens.Select(t => t.Attribution));
    }

    [Fact]
    public void Plan_Limits_CountTheClassesOfEveryWindow()
    {
        var (unlimited, _) = Create();
        var single = unlimited.Plan(Windows(allTargets: false));
        var all = unlimited.Plan(Windows());
        Assert.Equal(single.TokenSteps * 2, all.TokenSteps);

        var (model, runtime) = Create(new BertIgLimitsOptions { MaxTokenSteps = all.TokenSteps - 1 });
        model.Plan(Windows(allTargets: false));
        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(Windows()));
        Assert.Equal("BertIg:Limits:MaxTokenSteps", ex.Limit);
        Assert.Equal(all.TokenSteps, ex.Figure);
        Assert.Contains($"in {all.Windows} windows", ex.Message);
        Assert.Contains("2 classes", ex.Message);
        Assert.Equal(0, runtime.ForwardCalls + runtime.GradientCalls);

        // One run must hold a step of every class: a budget of one row per run is refused before any computation.
        var (narrow, narrowRuntime) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1, MaxTokenSteps = 0 }, bytesPerToken: 1024 * 1024 / MaxTokens);
        Assert.Equal(1, narrow.MaxRowsPerRun(MaxTokens));
        narrow.Plan(Windows(allTargets: false));
        Assert.Equal("BertIg:Limits:MaxRunMemoryMB", Assert.Throws<RequestLimitExceededException>(() => narrow.Plan(Windows())).Limit);
        Assert.Equal(0, narrowRuntime.ForwardCalls + narrowRuntime.GradientCalls);
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) < 1e-6;
}
