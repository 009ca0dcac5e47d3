using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>BertIg:Limits: per-request limits checked before any work, and the memory budget that caps rows per run.</summary>
public class ResourceLimitsTests
{
    private const string Text = "A noisy, hideous, and viciously cumbersome movie"; // 14 tokens

    private static (ExplainerModel Model, CubicTestRuntime Runtime) Create(BertIgLimitsOptions limits, long bytesPerToken = 0)
        => CubicTestModel.Create(new RuntimeSettings { Limits = limits }, bytesPerToken);

    [Fact]
    public void Plan_TokenStepsOverLimit_ThrowsLimitExceededNamingLimitAndFigureBeforeAnyRun()
    {
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxTokenSteps = 14 * 100 });

        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(new ExplainRequestOptions { Text = Text, Steps = 101 }));

        Assert.Equal("BertIg:Limits:MaxTokenSteps", ex.Limit);
        Assert.Equal(14 * 101, ex.Figure);
        Assert.Contains("BertIg:Limits:MaxTokenSteps", ex.Message);
        Assert.Contains("1414", ex.Message);
        Assert.Contains("at most 100 steps", ex.Message);
        Assert.Equal(0, runtime.ForwardCalls + runtime.GradientCalls);
        Assert.Equal(14 * 100, model.Plan(new ExplainRequestOptions { Text = Text, Steps = 100 }).TokenSteps);
    }

    [Fact]
    public void Plan_AdaptiveMode_CountsTheStepCap()
    {
        var (model, _) = Create(new BertIgLimitsOptions { MaxTokenSteps = 14 * 100 });

        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(new ExplainRequestOptions { Text = Text, Steps = 10, Tolerance = 0.01, MaxSteps = 200 }));

        Assert.Equal(14 * 200, ex.Figure);
    }

    [Fact]
    public void Plan_AllTargets_CountsEveryClassAgainstMaxTokenSteps()
    {
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxTokenSteps = 14 * 100 });

        // 50 steps fit for one class, not for two.
        Assert.Equal(14 * 50, model.Plan(new ExplainRequestOptions { Text = Text, Steps = 50 }).TokenSteps);
        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(new ExplainRequestOptions { Text = Text, Steps = 51, AllTargets = true }));

        Assert.Equal("BertIg:Limits:MaxTokenSteps", ex.Limit);
        Assert.Equal(14 * 51 * 2, ex.Figure);
        Assert.Contains("all_targets on 2 classes", ex.Message);
        Assert.Contains("at most 50 steps", ex.Message);
        Assert.Equal(14 * 50 * 2, model.Plan(new ExplainRequestOptions { Text = Text, Steps = 50, AllTargets = true }).TokenSteps);
        Assert.Equal(0, runtime.ForwardCalls + runtime.GradientCalls);
    }

    [Fact]
    public void Plan_AllTargets_MoreClassesThanOneRunHoldsRows_ThrowsLimitExceededNamingTheMemoryBudget()
    {
        // 1 MiB budget, 14 tokens x 50 000 bytes per row: one row per run, and all_targets needs one per class (2).
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1 }, bytesPerToken: 50_000);

        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(new ExplainRequestOptions { Text = Text, AllTargets = true }));

        Assert.Equal(1, model.MaxRowsPerRun(14));
        Assert.Equal("BertIg:Limits:MaxRunMemoryMB", ex.Limit);
        Assert.Equal(2, ex.Figure);
        Assert.Equal(1, ex.Maximum);
        Assert.Contains("one row per class", ex.Message);
        model.Plan(new ExplainRequestOptions { Text = Text }); // one class at a time still runs
        Assert.Equal(0, runtime.ForwardCalls + runtime.GradientCalls);
    }

    [Fact]
    public void Plan_TextTooLongForEvenOneStep_ThrowsInvalidArgumentOnText()
    {
        var (model, _) = Create(new BertIgLimitsOptions { MaxTokenSteps = 10 });

        var ex = Assert.Throws<InvalidExplainRequestException>(() => model.Plan(new ExplainRequestOptions { Text = Text, Steps = 1 }));

        Assert.Equal("text", ex.Field);
        Assert.Contains("BertIg:Limits:MaxTokenSteps", ex.Message);
    }

    [Fact]
    public async Task PlanPrediction_TextsOverMaxPredictTokens_ThrowsLimitExceededWithTheSum()
    {
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxPredictTokens = 30 });

        var ex = Assert.Throws<RequestLimitExceededException>(() => model.PlanPrediction([Text, Text, "fine"]));

        Assert.Equal("BertIg:Limits:MaxPredictTokens", ex.Limit);
        Assert.Equal(14 + 14 + 3, ex.Figure);
        Assert.Contains("31", ex.Message);
        Assert.Equal(0, runtime.ForwardCalls);
        Assert.Equal(2, (await model.PredictAsync([Text, Text])).Count);
    }

    [Fact]
    public void PlanPrediction_OneTextOverMaxPredictTokens_ThrowsInvalidArgumentOnTexts()
    {
        var (model, _) = Create(new BertIgLimitsOptions { MaxPredictTokens = 10 });

        var ex = Assert.Throws<InvalidExplainRequestException>(() => model.PlanPrediction(["fine", Text]));

        Assert.Equal("texts", ex.Field);
        Assert.Contains("texts[1]", ex.Message);
    }

    [Fact]
    public async Task ExplainAsync_MemoryBudgetBelowBatchSize_CapsRowsPerRunWithTheSameAttributions()
    {
        // 1 MiB budget, 14 tokens x 25 000 bytes per row: 2 rows fit in one run.
        var (budgeted, runtime) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1 }, bytesPerToken: 25_000);
        var (unbounded, _) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1 });
        var request = new ExplainRequestOptions { Text = Text, Steps = 20, InternalBatchSize = 256 };

        var split = await budgeted.ExplainAsync(request);
        var whole = await unbounded.ExplainAsync(request);

        Assert.Equal(2, budgeted.MaxRowsPerRun(14));
        Assert.Equal(Enumerable.Repeat(2, 10), runtime.GradientRows);
        // Float tolerance: each run returns its rows' gradient sum in float (as the ONNX path graph does).
        Assert.Equal(whole.Tokens.Select(t => t.Attribution), split.Tokens.Select(t => t.Attribution), (a, b) => Math.Abs(a - b) <= 1e-6);
        Assert.Equal(whole.ConvergenceDelta, split.ConvergenceDelta, 1e-6);
    }

    [Fact]
    public async Task Predict_MemoryBudget_SplitsForwardRuns()
    {
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1 }, bytesPerToken: 25_000);

        var predictions = await model.PredictAsync(Enumerable.Repeat(Text, 5).ToArray());

        Assert.Equal(5, predictions.Count);
        Assert.Equal([1, 2, 2], runtime.ForwardRows.Order()); // two runs may be in flight at once, so in either order
    }

    [Fact]
    public async Task ExplainAsync_OnnxModelWithSmallBudget_SplitsRunsAndMatchesBatchSize25()
    {
        // MiniLM at 14 tokens: about 3 MB per row by the estimate, so a 10 MiB budget allows 3 rows per run.
        using var budgeted = MiniLmClassifier.CreateExplainer(new BertIgLimitsOptions { MaxRunMemoryMB = 10 });
        using var reference = MiniLmClassifier.CreateExplainer();
        var runs = new List<ExplainProgress>();

        var split = await budgeted.ExplainAsync(new ExplainRequestOptions { Text = Text, Steps = 25, InternalBatchSize = 256 }, new InlineProgress(runs.Add));
        var whole = await reference.ExplainAsync(new ExplainRequestOptions { Text = Text, Steps = 25, InternalBatchSize = 25 });

        var rows = budgeted.MaxRowsPerRun(14);
        Assert.InRange(rows, 2, 12);
        Assert.Equal((25 + rows - 1) / rows, runs.Count); // one progress event per run
        Assert.Equal(whole.Tokens.Select(t => t.Attribution), split.Tokens.Select(t => t.Attribution), (a, b) => Math.Abs(a - b) <= 1e-5);
        Assert.Equal(whole.ConvergenceDelta, split.ConvergenceDelta, 1e-5);
    }

    private sealed class InlineProgress(Action<ExplainProgress> action) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => action(value);
    }
}
