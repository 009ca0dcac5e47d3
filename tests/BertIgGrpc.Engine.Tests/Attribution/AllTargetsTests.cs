using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.TestModels;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// <see cref="ExplainRequestOptions.AllTargets"/> on a real 3-class ONNX model (<see cref="TinyBertBuilder"/>): one list
/// per class, each converged and equal to that class's own explanation, computed in the runs of one request.
/// </summary>
public sealed class AllTargetsTests : IDisposable
{
    private const string Text = "this movie was not very good , the acting was awful !";
    private static readonly string[] Labels = ["negative", "neutral", "positive"];

    private readonly string _dir = Directory.CreateTempSubdirectory("bertig-alltargets-").FullName;
    private readonly CountingRuntime _runtime;
    private readonly ExplainerModel _model;

    public AllTargetsTests()
    {
        var (modelPath, vocabPath) = new TinyBertBuilder { Classes = 3 }.WriteTo(_dir);
        var definition = new ModelDefinition { Name = "tiny3", ModelPath = modelPath, VocabPath = vocabPath, Labels = Labels, MaxTokens = 32 };
        CountingRuntime? counting = null;
        _model = ExplainerModel.Load(definition, new RuntimeSettings { ExecutionProvider = "cpu" }, NullLogger.Instance, r => counting = new CountingRuntime(r));
        _runtime = counting!;
    }

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static ExplainRequestOptions Request(int steps = 50, int batch = 150, bool allTargets = true, int? target = null, double tolerance = 0) => new()
    {
        Text = Text,
        Steps = steps,
        InternalBatchSize = batch,
        AllTargets = allTargets,
        TargetIndex = target,
        Tolerance = tolerance,
        MaxSteps = 400,
    };

    [Fact]
    public async Task AllTargets_ThreeClasses_EachListConvergesAndEqualsItsSingleTargetExplanation()
    {
        var all = await _model.ExplainAsync(Request());

        Assert.Equal([0, 1, 2], all.PerTarget.Select(p => p.Index));
        Assert.Equal(Labels, all.PerTarget.Select(p => p.Label));
        foreach (var entry in all.PerTarget)
        {
            var gap = Math.Abs(entry.ScoreInput - entry.ScoreBaseline);
            Assert.True(gap > 1e-3, $"class {entry.Index}: F(x) - F(x') = {gap} is too small for a relative check");
            Assert.True(Math.Abs(entry.ConvergenceDelta) < 1e-3 * gap, $"class {entry.Index}: delta {entry.ConvergenceDelta} vs gap {gap}");
            Assert.Equal(entry.AttributionSum, entry.Tokens.Sum(t => t.Attribution), 1e-9);

            var single = await _model.ExplainAsync(Request(allTargets: false, target: entry.Index));
            Assert.Empty(single.PerTarget);
            AssertSame(single.Tokens, entry.Tokens);
            AssertSame(single.Words, entry.Words);
            Assert.Equal(single.ScoreInput, entry.ScoreInput, 1e-6);
            Assert.Equal(single.ScoreBaseline, entry.ScoreBaseline, 1e-6);
            Assert.Equal(single.ConvergenceDelta, entry.ConvergenceDelta, 1e-6);
            Assert.Equal(50, entry.Steps);
        }

        // The main result is the predicted class's, as without all_targets, and the same as its per-class entry.
        var plain = await _model.ExplainAsync(Request(allTargets: false));
        Assert.Equal(plain.TargetIndex, all.TargetIndex);
        Assert.Equal(plain.Prediction.Index, all.TargetIndex);
        AssertSame(plain.Tokens, all.Tokens);
        AssertSame(plain.Words, all.Words);
        Assert.Equal(plain.ConvergenceDelta, all.ConvergenceDelta, 1e-6);
        var own = all.PerTarget[all.TargetIndex];
        Assert.Equal(all.Tokens, own.Tokens);
        Assert.Equal(all.ConvergenceDelta, own.ConvergenceDelta);
    }

    [Fact]
    public async Task AllTargets_SharesRuns_OneForwardAndEveryClassSeededInEachGradientRun()
    {
        _runtime.Reset();
        await _model.ExplainAsync(Request(steps: 20, batch: 30));
        var shared = _runtime.GradientRuns.ToArray();
        var sharedForward = _runtime.ForwardRuns;

        _runtime.Reset();
        for (var c = 0; c < Labels.Length; c++)
        {
            await _model.ExplainAsync(Request(steps: 20, batch: 30, allTargets: false, target: c));
        }

        // One request: one forward run and 60 rows (20 steps x 3 classes) in runs of 30; one request per class: 3 and 3 x 20.
        Assert.Equal(1, sharedForward);
        Assert.Equal(3, _runtime.ForwardRuns);
        Assert.Equal([30, 30], shared.Select(run => run.Length));
        Assert.Equal(3, _runtime.GradientRuns.Count);
        Assert.All(shared, run =>
        {
            // Every row has a one-hot seed, and each step's rows carry the three classes.
            Assert.Equal(Enumerable.Range(0, run.Length).Select(r => r % 3), run);
        });
    }

    [Fact]
    public async Task AllTargets_Adaptive_RefinesEachClassOnItsOwnAsItsSingleTargetRequestDoes()
    {
        const double tolerance = 1e-3; // here class 1 needs 8 Gauss-Legendre steps, classes 0 and 2 only 4
        var events = new List<ExplainProgress>();
        var all = await _model.ExplainAsync(Request(steps: 4, target: 0, tolerance: tolerance), new SynchronousProgress<ExplainProgress>(events.Add));

        foreach (var entry in all.PerTarget)
        {
            var single = await _model.ExplainAsync(Request(steps: 4, allTargets: false, target: entry.Index, tolerance: tolerance));
            Assert.Equal(single.Steps, entry.Steps);
            Assert.True(Math.Abs(entry.ConvergenceDelta) <= tolerance * Math.Abs(entry.ScoreInput - entry.ScoreBaseline) || entry.Steps == 400);
            AssertSame(single.Tokens, entry.Tokens);
        }

        Assert.Equal([4, 8, 4], all.PerTarget.Select(p => p.Steps));
        Assert.Equal(4, all.Steps);

        // Progress follows the target (class 0): while class 1 goes on to 8 steps, the events carry class 0's final tokens.
        Assert.Equal(4 + 8, events[^1].StepsDone);
        AssertSame(all.Tokens, events[^1].PartialTokens);
    }

    [Fact]
    public async Task AllTargets_Progress_ReportsTheTargetsTokensOncePerSharedRun()
    {
        var events = new List<ExplainProgress>();
        var all = await _model.ExplainAsync(Request(steps: 20, batch: 30), new SynchronousProgress<ExplainProgress>(events.Add));

        Assert.Equal([10, 20], events.Select(e => e.StepsDone));
        Assert.All(events, e => Assert.Equal(20, e.StepsTotal));
        AssertSame(all.Tokens, events[^1].PartialTokens);
    }

    [Fact]
    public void Plan_AllTargets_CostsEveryClass()
    {
        var single = _model.Plan(Request(allTargets: false));
        var all = _model.Plan(Request());

        Assert.Equal(3 * single.TokenSteps, all.TokenSteps);
    }

    private static void AssertSame(IReadOnlyList<TokenAttribution> expected, IReadOnlyList<TokenAttribution> actual)
    {
        Assert.Equal(expected.Select(t => (t.Token, t.Start, t.End)), actual.Select(t => (t.Token, t.Start, t.End)));
        var scale = expected.Max(t => Math.Abs(t.Attribution));
        Assert.All(expected.Zip(actual), pair => Assert.True(Math.Abs(pair.First.Attribution - pair.Second.Attribution) <= 1e-6 * scale,
            $"{pair.First.Token}: {pair.First.Attribution} vs {pair.Second.Attribution}"));
    }
}
