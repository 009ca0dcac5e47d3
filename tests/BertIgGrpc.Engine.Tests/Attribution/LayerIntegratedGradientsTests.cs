using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Tests.Attribution;

public class LayerIntegratedGradientsTests
{
    private const int Pad = 0;

    // [CLS] w1 .. wn [SEP] with BERT's ids, and the seed's baseline [CLS] [PAD]*n [SEP].
    private static IgInput Text(int[] words, int? target = 1, bool zeroBaseline = false, int replacement = Pad)
    {
        var ids = new[] { 101 }.Concat(words).Append(102).ToArray();
        var baseline = ids.Select((id, i) => i == 0 || i == ids.Length - 1 ? id : replacement).ToArray();
        return new IgInput(ids, zeroBaseline ? null : baseline, new int[ids.Length], target);
    }

    private static readonly IgInput Movie = Text([2023, 3185, 2003, 21688]);

    private static IgSettings Settings(IntegrationMethod method = IntegrationMethod.GaussLegendre, int steps = 50, int batch = 50,
        bool multiplyByInputs = true, double tolerance = 0, int maxSteps = 2048) =>
        new(method, steps, batch, multiplyByInputs, tolerance, maxSteps);

    /// <summary>Closed form: per token, sum over h of f(L) - f(L'), the exact path integral for a separable model.</summary>
    private static double[] Analytic(CubicTestRuntime runtime, IgInput input, int target)
    {
        var x = runtime.Cut(input.InputIds, input.TokenTypeIds);
        var b = input.BaselineIds is null ? new float[x.Length] : runtime.Cut(input.BaselineIds, input.TokenTypeIds);
        var h = runtime.HiddenSize;
        var tokens = new double[input.InputIds.Length];
        for (var s = 0; s < tokens.Length; s++)
        {
            for (var k = 0; k < h; k++)
            {
                tokens[s] += runtime.F(target, s, k, x[s * h + k]) - runtime.F(target, s, k, b[s * h + k]);
            }
        }

        return tokens;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(50)]
    public void GaussLegendre_CubicModel_EqualsAnalyticIntegral(int steps)
    {
        // f' is quadratic along the path, and Gauss-Legendre with n >= 2 integrates cubics exactly.
        var runtime = new CubicTestRuntime();
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(steps: steps))[0];
        var expected = Analytic(runtime, Movie, 1);
        for (var s = 0; s < expected.Length; s++)
        {
            Assert.Equal(expected[s], result.TokenAttributions[s], 1e-5);
        }

        Assert.Equal(steps, result.Steps);
        Assert.True(Math.Abs(result.ConvergenceDelta) < 1e-5, $"delta {result.ConvergenceDelta}");
    }

    [Fact]
    public void GaussLegendre_OneStep_CubicModel_IsNotExact()
    {
        // The midpoint rule misses the quadratic part of f': the analytic check can fail.
        var runtime = new CubicTestRuntime();
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(steps: 1))[0];
        var expected = Analytic(runtime, Movie, 1);
        Assert.True(expected.Zip(result.TokenAttributions).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Theory]
    [InlineData(IntegrationMethod.RiemannLeft)]
    [InlineData(IntegrationMethod.RiemannRight)]
    [InlineData(IntegrationMethod.RiemannMiddle)]
    public void Riemann_MoreSteps_ConvergesToAnalyticIntegral(IntegrationMethod method)
    {
        var runtime = new CubicTestRuntime();
        var expected = Analytic(runtime, Movie, 1);
        double Error(int steps) => new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(method, steps))[0]
            .TokenAttributions.Zip(expected).Max(p => Math.Abs(p.First - p.Second));

        var coarse = Error(10);
        var fine = Error(400);
        // First-order rules shrink the error ~40x from 10 to 400 steps, the midpoint rule ~1600x.
        Assert.True(fine < coarse / 20, $"coarse {coarse}, fine {fine}");
        Assert.True(fine < (method == IntegrationMethod.RiemannMiddle ? 1e-5 : 2e-2), $"fine {fine}");
    }

    [Fact]
    public void RiemannTrapezoid_LinearModel_GivesOneMinusOneOverNOfTheIntegral_AsCaptum()
    {
        // Constant gradient along the path: every rule sees the same integrand, so the result is sum(weights) * integral.
        var runtime = new CubicTestRuntime(cubic: 0, quadratic: 0);
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(IntegrationMethod.RiemannTrapezoid, 10))[0];
        var expected = Analytic(runtime, Movie, 1);
        for (var s = 0; s < expected.Length; s++)
        {
            Assert.Equal(0.9 * expected[s], result.TokenAttributions[s], 1e-5);
        }

        Assert.Equal(-0.1 * (result.ScoreInput - result.ScoreBaseline), result.ConvergenceDelta, 1e-5);
    }

    [Theory]
    [InlineData(IntegrationMethod.GaussLegendre, 50)]
    [InlineData(IntegrationMethod.RiemannTrapezoid, 23)]
    public void InternalBatchSize_1_7_50_SameResult(IntegrationMethod method, int steps)
    {
        var runtime = new CubicTestRuntime();
        var ig = new LayerIntegratedGradients(runtime);
        var reference = ig.Attribute([Movie], Settings(method, steps, batch: 50))[0];
        foreach (var batch in new[] { 1, 7 })
        {
            var result = ig.Attribute([Movie], Settings(method, steps, batch: batch))[0];
            for (var s = 0; s < reference.TokenAttributions.Length; s++)
            {
                Assert.Equal(reference.TokenAttributions[s], result.TokenAttributions[s], 1e-6);
            }

            Assert.Equal(reference.ConvergenceDelta, result.ConvergenceDelta, 1e-6);
        }
    }

    [Fact]
    public void InternalBatchSize_SplitsRowsIntoRunsOfThatSize()
    {
        var runtime = new CubicTestRuntime();
        new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(steps: 50, batch: 7));
        // Two runs may be in flight, so the runtime can see them in either order.
        Assert.Equal([7, 7, 7, 7, 7, 7, 7, 1], runtime.GradientRows.OrderDescending());
        Assert.Equal(1, runtime.ForwardCalls);
    }

    [Fact]
    public void MultiplyByInputsFalse_ReturnsIntegratedGradientSummedOverHidden()
    {
        var runtime = new CubicTestRuntime();
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(steps: 4, multiplyByInputs: false))[0];
        var x = runtime.Cut(Movie.InputIds, Movie.TokenTypeIds);
        var b = runtime.Cut(Movie.BaselineIds!, Movie.TokenTypeIds);
        var h = runtime.HiddenSize;
        for (var s = 0; s < Movie.InputIds.Length; s++)
        {
            double expected = 0;
            for (var k = 0; k < h; k++)
            {
                double l0 = b[s * h + k], d = x[s * h + k] - l0;
                // Integral over a in [0, 1] of f'(l0 + a d) = 3 a3 (l0^2 + l0 d + d^2 / 3) + 2 a2 (l0 + d / 2) + a1.
                expected += 3 * runtime.A3(1, s, k) * (l0 * l0 + l0 * d + d * d / 3) + 2 * runtime.A2(1, s, k) * (l0 + d / 2) + runtime.A1(1, s, k);
            }

            Assert.Equal(expected, result.TokenAttributions[s], 1e-5);
        }
    }

    [Fact]
    public void SpecialTokens_SameInInputAndBaseline_AttributionsExactlyZero()
    {
        var result = new LayerIntegratedGradients(new CubicTestRuntime()).Attribute([Movie], Settings())[0];
        Assert.Equal(0.0, result.TokenAttributions[0]);
        Assert.Equal(0.0, result.TokenAttributions[^1]);
        Assert.All(result.TokenAttributions[1..^1], a => Assert.NotEqual(0.0, a));
    }

    [Fact]
    public void ConvergenceDelta_IsSumMinusScoreGap_WithScoresFromPlainForwardPasses()
    {
        var runtime = new CubicTestRuntime();
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(IntegrationMethod.RiemannRight, 5))[0];
        var input = runtime.Forward(Movie.InputIds.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, 6).ToArray(), new long[6], 1, 6).Logits;
        var baseline = runtime.Forward(Movie.BaselineIds!.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, 6).ToArray(), new long[6], 1, 6).Logits;
        Assert.Equal(input[1], result.ScoreInput);
        Assert.Equal(baseline[1], result.ScoreBaseline);
        Assert.Equal(result.TokenAttributions.Sum(), result.AttributionSum, 1e-12);
        Assert.Equal(result.AttributionSum - (result.ScoreInput - result.ScoreBaseline), result.ConvergenceDelta);
        // riemann_right on a 5-step grid is visibly off, so the sign is meaningful: compare to the analytic excess.
        var analytic = Analytic(runtime, Movie, 1).Sum();
        Assert.Equal(result.AttributionSum - analytic, result.ConvergenceDelta, 1e-5);
        Assert.True(Math.Abs(result.ConvergenceDelta) > 1e-3);
    }

    [Fact]
    public void NullTarget_ExplainsTheLargestLogit()
    {
        var runtime = new CubicTestRuntime();
        var input = Movie with { Target = null };
        var result = new LayerIntegratedGradients(runtime).Attribute([input], Settings(steps: 4))[0];
        Assert.Equal(Array.IndexOf(result.InputLogits, result.InputLogits.Max()), result.Target);
    }

    [Fact]
    public void ZeroBaseline_IntegratesFromTheZeroCut()
    {
        var runtime = new CubicTestRuntime();
        var input = Text([2023, 3185, 2003, 21688], zeroBaseline: true);
        var result = new LayerIntegratedGradients(runtime).Attribute([input], Settings(steps: 3))[0];
        var expected = Analytic(runtime, input, 1);
        for (var s = 0; s < expected.Length; s++)
        {
            Assert.Equal(expected[s], result.TokenAttributions[s], 1e-5);
        }

        // F(0) is the bias alone; [CLS]/[SEP] differ from zero, so they get attributions here.
        Assert.Equal(CubicTestRuntime.Bias(1), result.ScoreBaseline, 1e-6);
        Assert.NotEqual(0.0, result.TokenAttributions[0]);
    }

    [Fact]
    public void MaskAndUnkBaselines_UseTheirIds()
    {
        var runtime = new CubicTestRuntime();
        foreach (var replacement in new[] { 103, 100 })
        {
            var input = Text([2023, 3185], replacement: replacement);
            var result = new LayerIntegratedGradients(runtime).Attribute([input], Settings(steps: 2))[0];
            var expected = Analytic(runtime, input, 1);
            Assert.Equal(expected[1], result.TokenAttributions[1], 1e-5);
        }
    }

    [Fact]
    public void Adaptive_RaisesStepsUntilToleranceIsMet()
    {
        var runtime = new CubicTestRuntime();
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(IntegrationMethod.RiemannMiddle, 4, tolerance: 1e-4))[0];
        var ratio = Math.Abs(result.ConvergenceDelta) / Math.Abs(result.ScoreInput - result.ScoreBaseline);
        Assert.True(ratio <= 1e-4, $"ratio {ratio}");
        Assert.True(result.Steps > 4);
        Assert.Contains(result.Steps, new[] { 8, 16, 32, 64, 128, 256, 512, 1024, 2048 });

        // The previous round (half the steps) must have missed the tolerance, or the loop would have stopped there.
        var half = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(IntegrationMethod.RiemannMiddle, result.Steps / 2))[0];
        Assert.True(Math.Abs(half.ConvergenceDelta) > 1e-4 * Math.Abs(half.ScoreInput - half.ScoreBaseline));
    }

    [Fact]
    public void Adaptive_GaussLegendreFromOneStep_StopsAtTwo()
    {
        var result = new LayerIntegratedGradients(new CubicTestRuntime()).Attribute([Movie], Settings(steps: 1, tolerance: 1e-5))[0];
        Assert.Equal(2, result.Steps);
    }

    [Fact]
    public void Adaptive_UnreachableTolerance_StopsAtMaxSteps()
    {
        var runtime = new CubicTestRuntime();
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(IntegrationMethod.RiemannLeft, 3, tolerance: 1e-12, maxSteps: 20))[0];
        Assert.Equal(20, result.Steps);
        Assert.True(Math.Abs(result.ConvergenceDelta) > 1e-12);
    }

    [Fact]
    public void Cancellation_BetweenRuns_ThrowsAndStopsRunning()
    {
        var runtime = new CubicTestRuntime();
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(steps: 50, batch: 5), progress, cts.Token));
        // Cancelled after the first run's progress: at most the run already in flight has started too.
        Assert.InRange(runtime.GradientCalls, 1, 2);
    }

    [Fact]
    public void Cancellation_BeforeStart_Throws()
    {
        var runtime = new CubicTestRuntime();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(), null, new CancellationToken(true)));
        Assert.Equal(0, runtime.GradientCalls + runtime.ForwardCalls);
    }

    [Fact]
    public void Progress_OneEventPerRun_MonotonicAndEndingAtTheResult()
    {
        var runtime = new CubicTestRuntime();
        var events = new List<IgProgress>();
        var result = new LayerIntegratedGradients(runtime).Attribute([Movie], Settings(steps: 50, batch: 7), new InlineProgress(events.Add))[0];
        Assert.Equal(8, events.Count);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => Math.Min(50, i * 7)), events.Select(e => e.StepsDone));
        Assert.All(events, e => Assert.Equal(50, e.StepsTotal));
        Assert.Equal(result.TokenAttributions, events[^1].PartialTokenAttributions[0]);
    }

    [Fact]
    public void Progress_Adaptive_StepsTotalGrows()
    {
        var events = new List<IgProgress>();
        new LayerIntegratedGradients(new CubicTestRuntime()).Attribute([Movie], Settings(steps: 1, tolerance: 1e-5), new InlineProgress(events.Add));
        Assert.Equal([(1, 1), (3, 3)], events.Select(e => (e.StepsDone, e.StepsTotal)));
    }

    [Fact]
    public void SeveralTexts_BatchedTogether_EqualOneByOne()
    {
        var runtime = new CubicTestRuntime();
        var ig = new LayerIntegratedGradients(runtime);
        IgInput[] texts =
        [
            Text([2023, 3185, 2003, 21688], target: 0),
            Text([1037, 20810, 1010, 22293, 1010, 1998, 13925, 2135], target: 2),
            Text([2009], target: null),
        ];
        var batched = ig.Attribute(texts, Settings(steps: 20, batch: 9));
        for (var t = 0; t < texts.Length; t++)
        {
            var single = ig.Attribute([texts[t]], Settings(steps: 20, batch: 9))[0];
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
    public void SeveralTexts_StepsPerRunIsBatchOverTexts()
    {
        var runtime = new CubicTestRuntime();
        new LayerIntegratedGradients(runtime).Attribute([Movie, Movie, Movie], Settings(steps: 10, batch: 7));
        // 7 / 3 texts = 2 steps per run = 6 rows; 10 steps -> 5 runs.
        Assert.Equal([6, 6, 6, 6, 6], runtime.GradientRows);
    }

    [Fact]
    public void Attribute_IsDeterministicAcrossRepeatedRuns()
    {
        var ig = new LayerIntegratedGradients(new CubicTestRuntime());
        var first = ig.Attribute([Movie], Settings(steps: 64, batch: 3))[0];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(first.TokenAttributions, ig.Attribute([Movie], Settings(steps: 64, batch: 3))[0].TokenAttributions);
        }
    }

    [Fact]
    public void InvalidSettings_Throw()
    {
        var ig = new LayerIntegratedGradients(new CubicTestRuntime());
        Assert.Throws<ArgumentOutOfRangeException>(() => ig.Attribute([Movie], Settings(IntegrationMethod.RiemannLeft, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ig.Attribute([Movie], Settings(batch: 0)));
        Assert.Throws<ArgumentException>(() => ig.Attribute([Movie, Text([5], zeroBaseline: true)], Settings()));
    }

    /// <summary>Reports synchronously on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class InlineProgress(Action<IgProgress> action) : IProgress<IgProgress>
    {
        public void Report(IgProgress value) => action(value);
    }
}
