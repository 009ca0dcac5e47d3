namespace BertIgGrpc.Engine.Attribution;

/// <summary>Integration points (alphas in [0, 1]) and their weights (step sizes) for one rule and step count.</summary>
/// <param name="Alphas">Points along the path, <c>[n]</c>.</param>
/// <param name="Weights">Weight of each point, <c>[n]</c>.</param>
public sealed record IntegrationPoints(double[] Alphas, double[] Weights);

/// <summary>
/// Captum's approximation methods (<c>captum/attr/_utils/approximation_methods.py</c>), reproduced exactly:
/// the Riemann rules use <c>np.linspace</c>'s points and constant step 1/n (the trapezoid rule halves the first
/// and last weight, so its weights sum to 1 - 1/n, as in Captum), Gauss-Legendre is <c>np.polynomial.legendre.leggauss</c>
/// mapped from [-1, 1] to [0, 1].
/// </summary>
public static class ApproximationMethods
{
    // Nodes cost O(n^2) to compute; adaptive mode and repeated requests ask for the same few n.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, (double[] Nodes, double[] Weights)> GaussCache = new();

    /// <summary>Gets the fewest steps <paramref name="method"/> takes: 1 for Gauss-Legendre, 2 for the Riemann rules.</summary>
    public static int MinimumSteps(IntegrationMethod method) => method == IntegrationMethod.GaussLegendre ? 1 : 2;

    /// <summary>Returns the points and weights of <paramref name="method"/> with <paramref name="steps"/> points.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer steps than <see cref="MinimumSteps"/>.</exception>
    public static IntegrationPoints Get(IntegrationMethod method, int steps)
    {
        if (steps < MinimumSteps(method))
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"{method} needs at least {MinimumSteps(method)} step(s).");
        }

        if (method == IntegrationMethod.GaussLegendre)
        {
            var (nodes, weights) = GaussCache.GetOrAdd(steps, LegendreGauss);
            var alphas = new double[steps];
            var stepSizes = new double[steps];
            for (var i = 0; i < steps; i++)
            {
                // Same expression order as Captum: 0.5 * (1 + x) and 0.5 * w.
                alphas[i] = 0.5 * (1 + nodes[i]);
                stepSizes[i] = 0.5 * weights[i];
            }

            return new IntegrationPoints(alphas, stepSizes);
        }

        var n = (double)steps;
        var delta = Enumerable.Repeat(1 / n, steps).ToArray();
        double[] points;
        switch (method)
        {
            case IntegrationMethod.RiemannTrapezoid:
                delta[0] /= 2;
                delta[^1] /= 2;
                points = LinSpace(0, 1, steps);
                break;
            case IntegrationMethod.RiemannLeft:
                points = LinSpace(0, 1 - 1 / n, steps);
                break;
            case IntegrationMethod.RiemannMiddle:
                points = LinSpace(1 / (2 * n), 1 - 1 / (2 * n), steps);
                break;
            case IntegrationMethod.RiemannRight:
                points = LinSpace(1 / n, 1, steps);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown integration method.");
        }

        return new IntegrationPoints(points, delta);
    }

    /// <summary>
    /// <c>numpy.linspace(start, stop, num)</c> in double: <c>start + i * step</c> with the last point set to
    /// <paramref name="stop"/> exactly, so the points are bit-identical to NumPy's.
    /// </summary>
    internal static double[] LinSpace(double start, double stop, int num)
    {
        var result = new double[num];
        var div = num - 1;
        var step = (stop - start) / div;
        for (var i = 0; i < num; i++)
        {
            result[i] = i * step + start;
        }

        result[^1] = stop;
        return result;
    }

    /// <summary>
    /// Gauss-Legendre nodes (ascending) and weights on [-1, 1], as <c>numpy.polynomial.legendre.leggauss(n)</c>:
    /// Newton iteration on P_n from Chebyshev-like starting points, then NumPy's symmetrisation
    /// (x = (x - reverse(x)) / 2, w = (w + reverse(w)) / 2) and its rescaling of the weights to sum to 2.
    /// </summary>
    public static (double[] Nodes, double[] Weights) LegendreGauss(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var x = new double[n];
        var w = new double[n];
        for (var i = 0; i < n; i++)
        {
            // Descending roots: the i-th root of P_n is close to cos(pi (i + 3/4) / (n + 1/2)).
            var z = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            for (var iteration = 0; iteration < 100; iteration++)
            {
                var (p, pPrevious) = LegendrePair(n, z);
                // Newton: P_n / P_n' with P_n'(z) = n (P_{n-1}(z) - z P_n(z)) / ((1 - z)(1 + z)).
                var dz = p * (1 - z) * (1 + z) / (n * (pPrevious - z * p));
                z -= dz;
                if (Math.Abs(dz) <= 4e-16)
                {
                    break;
                }
            }

            // w = 2 / ((1 - z^2) P_n'(z)^2) = 2 (1 - z^2) / (n (P_{n-1}(z) - z P_n(z)))^2; 1 - z^2 as (1 - z)(1 + z)
            // avoids the cancellation of z * z - 1 for the roots next to +-1.
            var (value, previous) = LegendrePair(n, z);
            var scaled = n * (previous - z * value);
            x[n - 1 - i] = z;
            w[n - 1 - i] = 2 * (1 - z) * (1 + z) / (scaled * scaled);
        }

        var xs = new double[n];
        var ws = new double[n];
        for (var i = 0; i < n; i++)
        {
            xs[i] = (x[i] - x[n - 1 - i]) / 2;
            ws[i] = (w[i] + w[n - 1 - i]) / 2;
        }

        var sum = ws.Sum();
        for (var i = 0; i < n; i++)
        {
            ws[i] *= 2 / sum;
        }

        return (xs, ws);
    }

    /// <summary>P_n(z) and P_{n-1}(z) by the three-term recurrence.</summary>
    private static (double Value, double Previous) LegendrePair(int n, double z)
    {
        double p0 = 1, p1 = z;
        for (var k = 2; k <= n; k++)
        {
            var p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
            p0 = p1;
            p1 = p2;
        }

        return (p1, p0);
    }
}
