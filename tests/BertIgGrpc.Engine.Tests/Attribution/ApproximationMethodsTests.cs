using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Tests.Attribution;

public class ApproximationMethodsTests
{
    [Fact]
    public void LegendreGauss_SmallN_MatchesClosedForms()
    {
        var (x1, w1) = ApproximationMethods.LegendreGauss(1);
        Assert.Equal([0.0], x1);
        Assert.Equal([2.0], w1);

        var (x2, w2) = ApproximationMethods.LegendreGauss(2);
        AssertClose([-1 / Math.Sqrt(3), 1 / Math.Sqrt(3)], x2, 1e-15);
        AssertClose([1.0, 1.0], w2, 1e-15);

        var (x3, w3) = ApproximationMethods.LegendreGauss(3);
        AssertClose([-Math.Sqrt(0.6), 0, Math.Sqrt(0.6)], x3, 1e-15);
        AssertClose([5.0 / 9, 8.0 / 9, 5.0 / 9], w3, 1e-15);

        var (x4, w4) = ApproximationMethods.LegendreGauss(4);
        double inner = Math.Sqrt(3.0 / 7 - 2.0 / 7 * Math.Sqrt(1.2)), outer = Math.Sqrt(3.0 / 7 + 2.0 / 7 * Math.Sqrt(1.2));
        AssertClose([-outer, -inner, inner, outer], x4, 1e-15);
        double wi = (18 + Math.Sqrt(30)) / 36, wo = (18 - Math.Sqrt(30)) / 36;
        AssertClose([wo, wi, wi, wo], w4, 1e-15);

        var (x5, w5) = ApproximationMethods.LegendreGauss(5);
        double a = Math.Sqrt(5 - 2 * Math.Sqrt(10.0 / 7)) / 3, b = Math.Sqrt(5 + 2 * Math.Sqrt(10.0 / 7)) / 3;
        AssertClose([-b, -a, 0, a, b], x5, 1e-15);
        double wa = (322 + 13 * Math.Sqrt(70)) / 900, wb = (322 - 13 * Math.Sqrt(70)) / 900;
        AssertClose([wb, wa, 128.0 / 225, wa, wb], w5, 1e-15);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(50)]
    [InlineData(300)]
    [InlineData(2048)]
    public void LegendreGauss_AnyN_IsSymmetricAscendingAndExactForPolynomialsUpToDegree2nMinus1(int n)
    {
        var (x, w) = ApproximationMethods.LegendreGauss(n);
        Assert.Equal(2.0, w.Sum(), 1e-13);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(-x[n - 1 - i], x[i]);
            Assert.Equal(w[n - 1 - i], w[i]);
            Assert.InRange(x[i], -1, 1);
            Assert.True(w[i] > 0);
            if (i > 0)
            {
                Assert.True(x[i] > x[i - 1]);
            }
        }

        // The defining property: integral of t^k over [-1, 1] is 2 / (k + 1) for even k, 0 for odd k, for k <= 2n - 1.
        foreach (var k in new[] { 0, 1, 2, 3, 6, Math.Min(20, 2 * n - 1), 2 * n - 2, 2 * n - 1 }.Where(k => k <= 2 * n - 1 && k <= 60))
        {
            double integral = 0;
            for (var i = 0; i < n; i++)
            {
                integral += w[i] * Math.Pow(x[i], k);
            }

            Assert.Equal(k % 2 == 0 ? 2.0 / (k + 1) : 0.0, integral, 1e-13);
        }
    }

    [Fact]
    public void LegendreGauss_N50_MatchesHighPrecisionValues()
    {
        // Reference values from Newton's method on P_50 in 50-digit decimal arithmetic (Python's decimal module),
        // for the largest root, the next one and the smallest positive one.
        var (x, w) = ApproximationMethods.LegendreGauss(50);
        // Nodes to 1 ulp; weights to a relative 1e-13, the conditioning of w(x) next to +-1 in double (NumPy's leggauss is no closer).
        Assert.Equal(0.99886640442007105018545944497421850599624351290408, x[49], 1e-15);
        Assert.Equal(0.0029086225531551409584007243428554808066729964599403, w[49], 1e-13 * 0.0029086225531551409584007243428554808066729964599403);
        Assert.Equal(0.99403196943209071258510820042069472815747797106832, x[48], 1e-15);
        Assert.Equal(0.0067597991957454015027788781779850318018738324064612, w[48], 1e-13 * 0.0067597991957454015027788781779850318018738324064612);
        Assert.Equal(0.031098338327188876112328989665949194247296222959998, x[25], 1e-15);
        Assert.Equal(0.062176616655347262321033107360613430867682469201020, w[25], 1e-13 * 0.062176616655347262321033107360613430867682469201020);
    }

    [Fact]
    public void GaussLegendre_MapsToUnitIntervalWithWeightsSummingToOne()
    {
        var points = ApproximationMethods.Get(IntegrationMethod.GaussLegendre, 50);
        var (x, w) = ApproximationMethods.LegendreGauss(50);
        Assert.Equal(1.0, points.Weights.Sum(), 1e-14);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(0.5 * (1 + x[i]), points.Alphas[i]);
            Assert.Equal(0.5 * w[i], points.Weights[i]);
            Assert.InRange(points.Alphas[i], double.Epsilon, 1 - 1e-12);
        }
    }

    [Fact]
    public void Riemann_FourSteps_MatchCaptumPointsAndStepSizes()
    {
        var left = ApproximationMethods.Get(IntegrationMethod.RiemannLeft, 4);
        Assert.Equal([0, 0.25, 0.5, 0.75], left.Alphas);
        Assert.Equal([0.25, 0.25, 0.25, 0.25], left.Weights);

        var right = ApproximationMethods.Get(IntegrationMethod.RiemannRight, 4);
        Assert.Equal([0.25, 0.5, 0.75, 1], right.Alphas);
        Assert.Equal([0.25, 0.25, 0.25, 0.25], right.Weights);

        var middle = ApproximationMethods.Get(IntegrationMethod.RiemannMiddle, 4);
        Assert.Equal([0.125, 0.375, 0.625, 0.875], middle.Alphas);
        Assert.Equal([0.25, 0.25, 0.25, 0.25], middle.Weights);
    }

    [Fact]
    public void RiemannTrapezoid_WeightsSumToOneMinusOneOverN_AsCaptum()
    {
        var trapezoid = ApproximationMethods.Get(IntegrationMethod.RiemannTrapezoid, 5);
        Assert.Equal([0, 0.25, 0.5, 0.75, 1], trapezoid.Alphas);
        Assert.Equal([0.1, 0.2, 0.2, 0.2, 0.1], trapezoid.Weights);
        Assert.Equal(0.8, trapezoid.Weights.Sum(), 1e-15);

        var fifty = ApproximationMethods.Get(IntegrationMethod.RiemannTrapezoid, 50);
        Assert.Equal(1 - 1.0 / 50, fifty.Weights.Sum(), 1e-14);
    }

    [Fact]
    public void LinSpace_LastPointIsExactlyStop_AsNumPy()
    {
        var points = ApproximationMethods.LinSpace(0, 1 - 1.0 / 3, 7);
        Assert.Equal(1 - 1.0 / 3, points[^1]);
        Assert.Equal(0, points[0]);
        Assert.Equal(3 * ((1 - 1.0 / 3) / 6), points[3]);
    }

    [Theory]
    [InlineData(IntegrationMethod.RiemannLeft, 1)]
    [InlineData(IntegrationMethod.RiemannRight, 0)]
    [InlineData(IntegrationMethod.RiemannMiddle, 1)]
    [InlineData(IntegrationMethod.RiemannTrapezoid, 1)]
    [InlineData(IntegrationMethod.GaussLegendre, 0)]
    [InlineData(IntegrationMethod.GaussLegendre, -3)]
    public void Get_TooFewSteps_Throws(IntegrationMethod method, int steps)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ApproximationMethods.Get(method, steps));
    }

    [Fact]
    public void GaussLegendre_OneStep_IsTheMidpoint()
    {
        var points = ApproximationMethods.Get(IntegrationMethod.GaussLegendre, 1);
        Assert.Equal([0.5], points.Alphas);
        Assert.Equal([1.0], points.Weights);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}] expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
