using System.Runtime.Intrinsics;

namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// A tanh layer <c>y = tanh(W x + b)</c> with its gradient accumulators and Adam moments. Sums run over 8-lane vectors
/// in a fixed order, so the same inputs give the same bytes on every machine.
/// </summary>
internal sealed class Layer
{
    private readonly float[] _gw;
    private readonly float[] _gb;
    private readonly float[] _mw;
    private readonly float[] _sw;
    private readonly float[] _mb;
    private readonly float[] _sb;

    /// <summary>Initialises the weights uniformly in ±sqrt(6 / (inputs + outputs)) from <paramref name="random"/>.</summary>
    public Layer(int inputs, int outputs, Random random)
    {
        var scale = Math.Sqrt(6.0 / (inputs + outputs));
        W = [.. Enumerable.Range(0, outputs).Select(_ => Enumerable.Range(0, inputs).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale)).ToArray())];
        B = new float[outputs];
        (_gw, _mw, _sw) = (new float[outputs * inputs], new float[outputs * inputs], new float[outputs * inputs]);
        (_gb, _mb, _sb) = (new float[outputs], new float[outputs], new float[outputs]);
    }

    /// <summary>Gets the weights <c>[outputs][inputs]</c>.</summary>
    public float[][] W { get; }

    /// <summary>Gets the biases.</summary>
    public float[] B { get; }

    /// <summary>Computes <c>y = tanh(W x + b)</c>.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (var j = 0; j < B.Length; j++)
        {
            y[j] = MathF.Tanh(Dot(W[j], x) + B[j]);
        }
    }

    /// <summary>
    /// Accumulates the gradient for one input given <paramref name="dz"/>, the loss gradient at the pre-activation
    /// <c>W x + b</c>, and adds <c>Wᵀ dz</c> to <paramref name="dx"/> when given.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dz, Span<float> dx)
    {
        var inputs = x.Length;
        for (var j = 0; j < B.Length; j++)
        {
            if (dz[j] == 0)
            {
                continue;
            }

            _gb[j] += dz[j];
            Axpy(dz[j], x, _gw.AsSpan(j * inputs, inputs));
            if (!dx.IsEmpty)
            {
                Axpy(dz[j], W[j], dx);
            }
        }
    }

    /// <summary>Zeroes the accumulated gradient.</summary>
    public void ClearGrad()
    {
        Array.Clear(_gw);
        Array.Clear(_gb);
    }

    /// <summary>One Adam step with an L2 penalty <paramref name="lambda"/> on the weights (not the biases).</summary>
    public void Update(float lr, float lambda)
    {
        var p = 0;
        for (var j = 0; j < W.Length; j++)
        {
            var row = W[j];
            for (var k = 0; k < row.Length; k++, p++)
            {
                row[k] -= Adam(_gw[p] + (lambda * row[k]), ref _mw[p], ref _sw[p], lr);
            }

            B[j] -= Adam(_gb[j], ref _mb[j], ref _sb[j], lr);
        }
    }

    /// <summary>Adam's update for one parameter (beta1 0.9, beta2 0.999; <paramref name="lr"/> bias-corrected).</summary>
    public static float Adam(float g, ref float m, ref float s, float lr)
    {
        m = (0.9f * m) + (0.1f * g);
        s = (0.999f * s) + (0.001f * g * g);
        return lr * m / (MathF.Sqrt(s) + 1e-8f);
    }

    /// <summary>A dot product summed over 8 lanes (Vector256 has 8 lanes on every machine, so the order is fixed).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector256<float>.Zero;
        var k = 0;
        for (; k <= a.Length - 8; k += 8)
        {
            acc += Vector256.Create(a.Slice(k, 8)) * Vector256.Create(b.Slice(k, 8));
        }

        var sum = Vector256.Sum(acc);
        for (; k < a.Length; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }

    /// <summary><c>y += alpha x</c>.</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        var a = Vector256.Create(alpha);
        var k = 0;
        for (; k <= x.Length - 8; k += 8)
        {
            (Vector256.Create((ReadOnlySpan<float>)y.Slice(k, 8)) + (a * Vector256.Create(x.Slice(k, 8)))).CopyTo(y.Slice(k, 8));
        }

        for (; k < x.Length; k++)
        {
            y[k] += alpha * x[k];
        }
    }
}
