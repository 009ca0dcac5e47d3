namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// Weighted binary logistic regression with an L2 penalty on the weights (not the bias), fitted full-batch by L-BFGS
/// with a backtracking line search, in double precision. Every sum runs in a fixed order and nothing is random, so
/// the same data give the same model.
/// </summary>
internal static class LogisticRegression
{
    private const int History = 10;

    /// <summary>Fits <c>p(y=1|x) = sigmoid(w·x + b)</c>. Returns (w, b).</summary>
    public static (double[] W, double B) Fit(float[][] x, int[] y, double[] sampleWeight, double lambda, int maxIterations = 2000, double tolerance = 1e-7)
    {
        var d = x[0].Length;
        var theta = new double[d + 1]; // last parameter is the bias
        var total = sampleWeight.Sum();
        var grad = new double[d + 1];
        var loss = LossAndGradient(x, y, sampleWeight, total, lambda, theta, grad);
        var s = new List<double[]>();
        var yk = new List<double[]>();
        for (var iter = 0; iter < maxIterations && grad.Max(Math.Abs) > tolerance; iter++)
        {
            var direction = TwoLoop(grad, s, yk);
            var slope = Dot(direction, grad); // negative for a descent direction
            if (slope >= 0)
            {
                direction = grad.Select(g => -g).ToArray();
                slope = Dot(direction, grad);
                s.Clear();
                yk.Clear();
            }

            var t = s.Count == 0 ? 1 / Math.Sqrt(Dot(grad, grad)) : 1.0;
            var next = new double[d + 1];
            var nextGrad = new double[d + 1];
            double nextLoss;
            while (true)
            {
                for (var k = 0; k <= d; k++)
                {
                    next[k] = theta[k] + (t * direction[k]);
                }

                nextLoss = LossAndGradient(x, y, sampleWeight, total, lambda, next, nextGrad);
                if (nextLoss <= loss + (1e-4 * t * slope) || t < 1e-12)
                {
                    break;
                }

                t /= 2;
            }

            var step = next.Select((v, k) => v - theta[k]).ToArray();
            var change = nextGrad.Select((v, k) => v - grad[k]).ToArray();
            if (Dot(step, change) > 1e-16)
            {
                s.Add(step);
                yk.Add(change);
                if (s.Count > History)
                {
                    s.RemoveAt(0);
                    yk.RemoveAt(0);
                }
            }

            theta = next;
            grad = nextGrad;
            loss = nextLoss;
        }

        return (theta[..d], theta[d]);
    }

    /// <summary>The decision value <c>w·x + b</c>.</summary>
    public static double Score(double[] w, double b, float[] x)
    {
        var sum = b;
        for (var k = 0; k < x.Length; k++)
        {
            sum += w[k] * x[k];
        }

        return sum;
    }

    private static double[] TwoLoop(double[] grad, List<double[]> s, List<double[]> y)
    {
        var q = grad.Select(g => -g).ToArray();
        var alpha = new double[s.Count];
        for (var i = s.Count - 1; i >= 0; i--)
        {
            alpha[i] = Dot(s[i], q) / Dot(y[i], s[i]);
            for (var k = 0; k < q.Length; k++)
            {
                q[k] -= alpha[i] * y[i][k];
            }
        }

        if (s.Count > 0)
        {
            var gamma = Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]);
            for (var k = 0; k < q.Length; k++)
            {
                q[k] *= gamma;
            }
        }

        for (var i = 0; i < s.Count; i++)
        {
            var beta = Dot(y[i], q) / Dot(y[i], s[i]);
            for (var k = 0; k < q.Length; k++)
            {
                q[k] += (alpha[i] - beta) * s[i][k];
            }
        }

        return q;
    }

    private static double LossAndGradient(float[][] x, int[] y, double[] sw, double total, double lambda, double[] theta, double[] grad)
    {
        var d = theta.Length - 1;
        Array.Clear(grad);
        var loss = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var row = x[i];
            var z = Score(theta, theta[d], row);
            // log(1 + e^z) - y z without overflow.
            loss += sw[i] * (Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z))) - (y[i] * z));
            var prob = z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));
            var r = sw[i] * (prob - y[i]) / total;
            for (var k = 0; k < d; k++)
            {
                grad[k] += r * row[k];
            }

            grad[d] += r;
        }

        var reg = 0.0;
        for (var k = 0; k < d; k++)
        {
            reg += theta[k] * theta[k];
            grad[k] += lambda * theta[k];
        }

        return (loss / total) + (0.5 * lambda * reg);
    }

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var k = 0; k < a.Length; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }
}
