using BertIgGrpc.Engine.Attribution;
using static BertIgGrpc.Engine.Tests.Attribution.IgFixtures;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>What <see cref="LayerIntegratedGradients"/> computes: integrals, baselines, scores and deltas.</summary>
public class LayerIntegratedGradientsTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(50)]
    public async Task GaussLegendre_CubicModel_EqualsAnalyticIntegral(int steps)
    {
        // f' is quadratic along the path, and Gauss-Legendre with n >= 2 integrates cubics exactly.
        var runtime = new CubicTestRuntime();
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(steps: steps)))[0];
        var expected = Analytic(runtime, Movie, 1);
        for (var s = 0; s < expected.Length; s++)
        {
            Assert.Equal(expected[s], result.TokenAttributions[s], 1e-5);
        }

        Assert.Equal(steps, result.Steps);
        Assert.True(Math.Abs(result.ConvergenceDelta) < 1e-5, $"delta {result.ConvergenceDelta}");
    }

    [Fact]
    public async Task GaussLegendre_OneStep_CubicModel_IsNotExact()
    {
        // The midpoint rule misses the quadratic part of f': the analytic check can fail.
        var runtime = new CubicTestRuntime();
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(steps: 1)))[0];
        var expected = Analytic(runtime, Movie, 1);
        Assert.True(expected.Zip(result.TokenAttributions).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Theory]
    [InlineData(IntegrationMethod.RiemannLeft)]
    [InlineData(IntegrationMethod.RiemannRight)]
    [InlineData(IntegrationMethod.RiemannMiddle)]
    public async Task Riemann_MoreSteps_ConvergesToAnalyticIntegral(IntegrationMethod method)
    {
        var runtime = new CubicTestRuntime();
        var expected = Analytic(runtime, Movie, 1);
        async Task<double> Error(int steps) => (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(method, steps)))[0]
            .TokenAttributions.Zip(expected).Max(p => Math.Abs(p.First - p.Second));

        var coarse = await Error(10);
        var fine = await Error(400);
        // First-order rules shrink the error ~40x from 10 to 400 steps, the midpoint rule ~1600x.
        Assert.True(fine < coarse / 20, $"coarse {coarse}, fine {fine}");
        Assert.True(fine < (method == IntegrationMethod.RiemannMiddle ? 1e-5 : 2e-2), $"fine {fine}");
    }

    [Fact]
    public async Task RiemannTrapezoid_LinearModel_GivesOneMinusOneOverNOfTheIntegral_AsCaptum()
    {
        // Constant gradient along the path: every rule sees the same integrand, so the result is sum(weights) * integral.
        var runtime = new CubicTestRuntime(cubic: 0, quadratic: 0);
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(IntegrationMethod.RiemannTrapezoid, 10)))[0];
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
    public async Task InternalBatchSize_1_7_50_SameResult(IntegrationMethod method, int steps)
    {
        var runtime = new CubicTestRuntime();
        var ig = new LayerIntegratedGradients(runtime);
        var reference = (await ig.AttributeAsync([Movie], Settings(method, steps, batch: 50)))[0];
        foreach (var batch in new[] { 1, 7 })
        {
            var result = (await ig.AttributeAsync([Movie], Settings(method, steps, batch: batch)))[0];
            for (var s = 0; s < reference.TokenAttributions.Length; s++)
            {
                Assert.Equal(reference.TokenAttributions[s], result.TokenAttributions[s], 1e-6);
            }

            Assert.Equal(reference.ConvergenceDelta, result.ConvergenceDelta, 1e-6);
        }
    }

    [Fact]
    public async Task InternalBatchSize_SplitsRowsIntoRunsOfThatSize()
    {
        var runtime = new CubicTestRuntime();
        await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(steps: 50, batch: 7));
        // Two runs may be in flight, so the runtime can see them in either order.
        Assert.Equal([7, 7, 7, 7, 7, 7, 7, 1], runtime.GradientRows.OrderDescending());
        Assert.Equal(1, runtime.ForwardCalls);
    }

    [Fact]
    public async Task MultiplyByInputsFalse_ReturnsIntegratedGradientSummedOverHidden()
    {
        var runtime = new CubicTestRuntime();
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(steps: 4, multiplyByInputs: false)))[0];
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
    public async Task SpecialTokens_SameInInputAndBaseline_AttributionsExactlyZero()
    {
        var result = (await new LayerIntegratedGradients(new CubicTestRuntime()).AttributeAsync([Movie], Settings()))[0];
        Assert.Equal(0.0, result.TokenAttributions[0]);
        Assert.Equal(0.0, result.TokenAttributions[^1]);
        Assert.All(result.TokenAttributions[1..^1], a => Assert.NotEqual(0.0, a));
    }

    [Fact]
    public async Task ConvergenceDelta_IsSumMinusScoreGap_WithScoresFromPlainForwardPasses()
    {
        var runtime = new CubicTestRuntime();
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([Movie], Settings(IntegrationMethod.RiemannRight, 5)))[0];
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
    public async Task NullTarget_ExplainsTheLargestLogit()
    {
        var runtime = new CubicTestRuntime();
        var input = Movie with { Target = null };
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([input], Settings(steps: 4)))[0];
        Assert.Equal(Array.IndexOf(result.InputLogits, result.InputLogits.Max()), result.Target);
    }

    [Fact]
    public async Task ZeroBaseline_IntegratesFromTheZeroCut()
    {
        var runtime = new CubicTestRuntime();
        var input = Text([2023, 3185, 2003, 21688], zeroBaseline: true);
        var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([input], Settings(steps: 3)))[0];
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
    public async Task MaskAndUnkBaselines_UseTheirIds()
    {
        var runtime = new CubicTestRuntime();
        foreach (var replacement in new[] { 103, 100 })
        {
            var input = Text([2023, 3185], replacement: replacement);
            var result = (await new LayerIntegratedGradients(runtime).AttributeAsync([input], Settings(steps: 2)))[0];
            var expected = Analytic(runtime, input, 1);
            Assert.Equal(expected[1], result.TokenAttributions[1], 1e-5);
        }
    }
    [Fact]
    public async Task AllTargets_MixedWithPlainTexts_EachTextsClassesMatchTheAnalyticIntegral()
    {
        // Text 0 towards every class, text 1 (a different length) towards class 0 only, in the same runs.
        var runtime = new CubicTestRuntime(classes: 3);
        var other = Text([7592, 2088], target: 0);
        var results = await new LayerIntegratedGradients(runtime).AttributeAsync([Movie with { AllTargets = true }, other], Settings(steps: 3, batch: 8));

        Assert.Equal([0, 1, 2], results[0].PerTarget!.Select(r => r.Target));
        foreach (var perClass in results[0].PerTarget!)
        {
            var expected = Analytic(runtime, Movie, perClass.Target);
            Assert.All(expected.Zip(perClass.TokenAttributions), p => Assert.Equal(p.First, p.Second, 1e-5));
            Assert.Null(perClass.PerTarget);
        }

        Assert.Equal(1, results[0].Target);
        Assert.Equal(results[0].PerTarget![1].TokenAttributions, results[0].TokenAttributions);
        Assert.Null(results[1].PerTarget);
        Assert.Equal(0, results[1].Target);
        Assert.All(Analytic(runtime, other, 0).Zip(results[1].TokenAttributions), p => Assert.Equal(p.First, p.Second, 1e-5));
        Assert.Equal([4, 8], runtime.GradientRows.Order()); // 4 slots x 3 steps = 12 rows, 2 steps (8 rows) per run, two in flight
    }
}
