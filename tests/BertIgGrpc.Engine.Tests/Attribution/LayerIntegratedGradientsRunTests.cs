using BertIgGrpc.Engine.Attribution;
using static BertIgGrpc.Engine.Tests.Attribution.IgFixtures;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>How <see cref="LayerIntegratedGradients"/> runs: adaptive rounds, cancellation, progress, batching.</summary>
public class LayerIntegratedGradientsRunTests
{
    [Fact]
    public async Task Adaptive_RaisesStepsUntilToleranceIsMet()
    {
        var runtime = new CubicTestRuntime();
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(IntegrationMethod.RiemannMiddle, 4, tolerance: 1e-4)))[0];
        var ratio = Math.Abs(result.ConvergenceDelta) / Math.Abs(result.ScoreInput - result.ScoreBaseline);
        Assert.True(ratio <= 1e-4, $"ratio {ratio}");
        Assert.True(result.Steps > 4);
        Assert.Contains(result.Steps, new[] { 8, 16, 32, 64, 128, 256, 512, 1024, 2048 });

        // The previous round (half the steps) must have missed the tolerance, or the loop would have stopped there.
        var half = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(IntegrationMethod.RiemannMiddle, result.Steps / 2)))[0];
        Assert.True(Math.Abs(half.ConvergenceDelta) > 1e-4 * Math.Abs(half.ScoreInput - half.ScoreBaseline));
    }

    [Fact]
    public async Task Adaptive_GaussLegendreFromOneStep_StopsAtTwo()
    {
        var result = (await new LayerIntegratedGradients(new CubicTestRuntime()).AttributeAsync([Movie], Settings(steps: 1, tolerance: 1e-5)))[0];
        Assert.Equal(2, result.Steps);
    }

    [Fact]
    public async Task Adaptive_UnreachableTolerance_StopsAtMaxSteps()
    {
        var runtime = new CubicTestRuntime();
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(IntegrationMethod.RiemannLeft, 3, tolerance: 1e-12, maxSteps: 20)))[0];
        Assert.Equal(20, result.Steps);
        Assert.True(Math.Abs(result.ConvergenceDelta) > 1e-12);
    }

    [Fact]
    public async Task Cancellation_BetweenRuns_ThrowsAndStopsRunning()
    {
        var runtime = new CubicTestRuntime();
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress(_ => cts.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(steps: 50, batch: 5), progress, cts.Token));
        // Cancelled after the first run's progress: at most the run already in flight has started too.
        Assert.InRange(runtime.GradientCalls, 1, 2);
    }

    [Fact]
    public async Task Cancellation_BeforeStart_Throws()
    {
        var runtime = new CubicTestRuntime();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(), null, new CancellationToken(true)));
        Assert.Equal(0, runtime.GradientCalls + runtime.ForwardCalls);
    }

    [Fact]
    public async Task Progress_OneEventPerRun_MonotonicAndEndingAtTheResult()
    {
        var runtime = new CubicTestRuntime();
        var events = new List<IgProgress>();
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(steps: 50, batch: 7), new InlineProgress(events.Add)))[0];
        Assert.Equal(8, events.Count);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => Math.Min(50, i * 7)), events.Select(e => e.StepsDone));
        Assert.All(events, e => Assert.Equal(50, e.StepsTotal));
        Assert.Equal(result.TokenAttributions, events[^1].PartialTokenAttributions[0]);
    }

    [Fact]
    public async Task Progress_Adaptive_StepsTotalGrows()
    {
        var events = new List<IgProgress>();
        await new LayerIntegratedGradients(new CubicTestRuntime()).AttributeAsync([Movie], Settings(steps: 1, tolerance: 1e-5), new InlineProgress(events.Add));
        Assert.Equal([(1, 1), (3, 3)], events.Select(e => (e.StepsDone, e.StepsTotal)));
    }

    [Fact]
    public async Task SeveralTexts_BatchedTogether_EqualOneByOne()
    {
        var runtime = new CubicTestRuntime();
        var ig = new LayerIntegratedGradients(runtime);
        IgInput[] texts =
        [
            Text([2023, 3185, 2003, 21688], target: 0),
            Text([1037, 20810, 1010, 22293, 1010, 1998, 13925, 2135], target: 2),
            Text([2009], target: null),
        ];
        var batched = await ig.AttributeAsync(texts, Settings(steps: 20, batch: 9));
        for (var t = 0; t < texts.Length; t++)
        {
            var single = (await ig.AttributeAsync([texts[t]], Settings(steps: 20, batch: 9)))[0];
            Assert.Equal(single.Target, batched[t].Target);
            Assert.Equal(single.TokenAttributions.Length, batched[t].TokenAttributions.Length);
            for (var s = 0; s < single.TokenAttributions.Length; s++)
            {
                Assert.Equal(single.TokenAttributions[s], batched[t].TokenAttributions[s], 1e-6);
            }

            Assert.Equal(single.ScoreInput, batched[t].ScoreInput, 1e-6);
            Assert.Equal(single.ScoreBaseline, batched[t].ScoreBaseline, 1e-6);
            Assert.Equal(single.ConvergenceDelta, batched[t].ConvergenceDelta, 1e-6);
        }

        Assert.Equal(0, batched[0].Target);
        Assert.Equal(2, batched[1].Target);
    }

    [Fact]
    public async Task SeveralTexts_StepsPerRunIsBatchOverTexts()
    {
        var runtime = new CubicTestRuntime();
        await new LayerIntegratedGradients(runtime).AttributeAsync([Movie, Movie, Movie], Settings(steps: 10, batch: 7));
        // 7 / 3 texts = 2 steps per run = 6 rows; 10 steps -> 5 runs.
        Assert.Equal([6, 6, 6, 6, 6], runtime.GradientRows);
    }

    [Fact]
    public async Task Attribute_IsDeterministicAcrossRepeatedRuns()
    {
        var ig = new LayerIntegratedGradients(new CubicTestRuntime());
        var first = (await ig.AttributeAsync([Movie], Settings(steps: 64, batch: 3)))[0];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(first.TokenAttributions, (await ig.AttributeAsync([Movie], Settings(steps: 64, batch: 3)))[0].TokenAttributions);
        }
    }

    [Fact]
    public async Task InvalidSettings_Throw()
    {
        var ig = new LayerIntegratedGradients(new CubicTestRuntime());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ig.AttributeAsync([Movie], Settings(IntegrationMethod.RiemannLeft, 1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ig.AttributeAsync([Movie], Settings(batch: 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => ig.AttributeAsync([Movie, Text([5], zeroBaseline: true)], Settings()));
    }
}
