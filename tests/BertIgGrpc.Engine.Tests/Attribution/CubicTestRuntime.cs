using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// A runtime with a closed-form model, independent of ONNX Runtime. The "embeddings" map (id, position, type) to a fixed
/// vector; the logits are separable per cut element: F_c(L) = bias_c + sum over unmasked (s, h) of
/// a3 L^3 + a2 L^2 + a1 L with coefficients depending on (c, s, h). Its gradient is analytic, and the path integral of
/// element e is exactly f(L_e) - f(L'_e), so IG results can be checked against formulas.
/// </summary>
internal sealed class CubicTestRuntime(int classes = 3, int hidden = 8, double cubic = 1, double quadratic = 1, double linear = 1) : IAttributionRuntime
{
    private int _gradientCalls;
    private int _forwardCalls;
    private readonly List<int> _gradientRows = [];

    /// <summary>Gets the provider this runtime reports (the engine sizes CUDA runs by the GPU budget).</summary>
    public string ExecutionProvider { get; init; } = "TestExecutionProvider";
    public int NumClasses => classes;
    public int HiddenSize => hidden;
    public bool UsesTokenTypeIds => true;
    public string CutTensor => "test_cut";
    public int GradientCalls => Volatile.Read(ref _gradientCalls);
    public int ForwardCalls => Volatile.Read(ref _forwardCalls);
    public bool Disposed { get; private set; }

    public IReadOnlyList<int> GradientRows
    {
        get
        {
            lock (_gradientRows)
            {
                return _gradientRows.ToArray();
            }
        }
    }

    /// <summary>Activation bytes per row and token this runtime reports (0: unknown, no memory budget applies).</summary>
    public long BytesPerToken { get; set; }

    /// <summary>Rows of every forward call, in call order.</summary>
    public List<int> ForwardRows { get; } = [];

    public long ActivationBytesPerRow(int seqLen) => BytesPerToken * seqLen;

    /// <summary>Runs on every forward call before it computes (e.g. to cancel from inside a run).</summary>
    public Action<int>? OnForward { get; set; }

    /// <summary>Runs on every gradient call before it computes (e.g. to cancel from inside a run).</summary>
    public Action<int>? OnGradient { get; set; }

    public static double Embedding(long id, int position, long type, int h) =>
        0.5 * Math.Sin(0.37 * id + 1.3 * h) + 0.1 * Math.Cos(position + h) + 0.05 * type;

    public double A3(int c, int s, int h) => cubic * 0.3 * Math.Sin(1.1 * c + 0.7 * s + 0.3 * h);
    public double A2(int c, int s, int h) => quadratic * 0.5 * Math.Cos(0.9 * c + 0.2 * s + 0.5 * h);
    public double A1(int c, int s, int h) => linear * Math.Sin(0.4 * c - 0.3 * s + 0.8 * h + 0.5);
    public static double Bias(int c) => 0.1 * (c + 1);

    /// <summary>f for one element.</summary>
    public double F(int c, int s, int h, double x) => ((A3(c, s, h) * x + A2(c, s, h)) * x + A1(c, s, h)) * x;

    /// <summary>f' for one element.</summary>
    public double DF(int c, int s, int h, double x) => (3 * A3(c, s, h) * x + 2 * A2(c, s, h)) * x + A1(c, s, h);

    /// <summary>The cut of one unpadded sequence, [S, H], as the runtime computes it.</summary>
    public float[] Cut(int[] ids, int[] types)
    {
        var cut = new float[ids.Length * hidden];
        for (var s = 0; s < ids.Length; s++)
        {
            for (var h = 0; h < hidden; h++)
            {
                cut[s * hidden + h] = (float)Embedding(ids[s], s, types[s], h);
            }
        }

        return cut;
    }

    public ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _forwardCalls);
        lock (ForwardRows)
        {
            ForwardRows.Add(rows);
        }

        OnForward?.Invoke(rows);
        cancellationToken.ThrowIfCancellationRequested(); // as ONNX Runtime stops a run whose token fired

        var cut = new float[rows * seqLen * hidden];
        for (var r = 0; r < rows; r++)
        {
            for (var s = 0; s < seqLen; s++)
            {
                for (var h = 0; h < hidden; h++)
                {
                    cut[(r * seqLen + s) * hidden + h] = (float)Embedding(inputIds[r * seqLen + s], s, tokenTypeIds[r * seqLen + s], h);
                }
            }
        }

        return new ForwardResult(cut, Logits(cut, attentionMask, rows, seqLen));
    }

    public GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gradientCalls);
        lock (_gradientRows)
        {
            _gradientRows.Add(rows);
        }

        OnGradient?.Invoke(rows);
        var gradient = new float[cut.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var s = 0; s < seqLen; s++)
            {
                if (attentionMask[r * seqLen + s] == 0)
                {
                    continue;
                }

                for (var h = 0; h < hidden; h++)
                {
                    var i = (r * seqLen + s) * hidden + h;
                    double g = 0;
                    for (var c = 0; c < classes; c++)
                    {
                        g += seed[r * classes + c] * DF(c, s, h, cut[i]);
                    }

                    gradient[i] = (float)g;
                }
            }
        }

        return new GradientResult(Logits(cut, attentionMask, rows, seqLen), gradient);
    }

    public void Dispose() => Disposed = true;

    private float[] Logits(float[] cut, long[] attentionMask, int rows, int seqLen)
    {
        var logits = new float[rows * classes];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < classes; c++)
            {
                var total = Bias(c);
                for (var s = 0; s < seqLen; s++)
                {
                    if (attentionMask[r * seqLen + s] == 0)
                    {
                        continue;
                    }

                    for (var h = 0; h < hidden; h++)
                    {
                        total += F(c, s, h, cut[(r * seqLen + s) * hidden + h]);
                    }
                }

                logits[r * classes + c] = (float)total;
            }
        }

        return logits;
    }
}
