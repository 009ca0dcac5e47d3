namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// A head that reads every token: <c>u_t = tanh(T x_t + b)</c> for each token state <c>x_t</c>, the mean <c>p</c> of
/// the <c>u_t</c> over the sentence, then <c>s = v · tanh(W p + c) + d</c> (or <c>s = v · p + d</c> without the
/// hidden layer). Trained as <see cref="Mlp"/> is: weighted logistic loss, L2 penalty on the weights, Adam over seeded
/// shuffled mini-batches, one thread and a fixed summation order, so the same data give the same bytes.
/// </summary>
internal sealed class TokenMlp
{
    private const int Width = 384;
    private readonly Layer _token;
    private readonly Layer? _hidden;

    private TokenMlp(int units, int hidden, Random random)
    {
        _token = new Layer(Width, units, random);
        _hidden = hidden > 0 ? new Layer(units, hidden, random) : null;
        var inputs = hidden > 0 ? hidden : units;
        V = [.. Enumerable.Range(0, inputs).Select(_ => (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(6.0 / (inputs + 1))))];
    }

    /// <summary>Gets the token layer's weights <c>[units][384]</c>.</summary>
    public float[][] TokenWeight => _token.W;

    /// <summary>Gets the token layer's biases.</summary>
    public float[] TokenBias => _token.B;

    /// <summary>Gets the hidden layer's weights <c>[hidden][units]</c>, or null.</summary>
    public float[][]? HiddenWeight => _hidden?.W;

    /// <summary>Gets the hidden layer's biases, or null.</summary>
    public float[]? HiddenBias => _hidden?.B;

    /// <summary>Gets the output weights.</summary>
    public float[] V { get; }

    /// <summary>Gets the output bias.</summary>
    public float D { get; private set; }

    /// <summary>Trains a model on sentences given as their token states, <c>x[i]</c> = tokens × 384 floats.</summary>
    public static TokenMlp Fit(float[][] x, int[] y, double[] sampleWeight, int units, int hidden, double lambda, int epochs, int seed, Action<int>? onEpoch = null, int batchSize = 64, double learningRate = 1e-3)
    {
        var random = new Random(seed);
        var model = new TokenMlp(units, hidden, random);
        Layer[] layers = model._hidden is null ? [model._token] : [model._token, model._hidden];
        var gv = new float[model.V.Length];
        var (mv, sv) = (new float[model.V.Length], new float[model.V.Length]);
        float md = 0, sd = 0;
        var meanWeight = sampleWeight.Average();
        var order = Enumerable.Range(0, x.Length).ToArray();
        var maxTokens = x.Max(r => r.Length) / Width;
        var u = new float[maxTokens * units];
        var p = new float[units];
        var h = new float[Math.Max(hidden, 1)];
        var dp = new float[units];
        var dh = new float[Math.Max(hidden, 1)];
        var du = new float[units];
        long step = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += batchSize)
            {
                foreach (var layer in layers)
                {
                    layer.ClearGrad();
                }

                Array.Clear(gv);
                float gd = 0;
                var end = Math.Min(start + batchSize, order.Length);
                for (var b = start; b < end; b++)
                {
                    var i = order[b];
                    var n = x[i].Length / Width;
                    var score = model.Forward(x[i], u, p, h);
                    var prob = 1 / (1 + Math.Exp(-score));
                    var r = (float)(sampleWeight[i] / meanWeight * (prob - y[i]) / (end - start));
                    gd += r;
                    if (model._hidden is { } hl)
                    {
                        for (var j = 0; j < hidden; j++)
                        {
                            gv[j] += r * h[j];
                            dh[j] = r * model.V[j] * (1 - (h[j] * h[j]));
                        }

                        Array.Clear(dp);
                        hl.Backward(p, dh, dp);
                    }
                    else
                    {
                        for (var j = 0; j < units; j++)
                        {
                            gv[j] += r * p[j];
                            dp[j] = r * model.V[j];
                        }
                    }

                    // The mean spreads dp evenly over the tokens; tanh' = 1 - u².
                    for (var t = 0; t < n; t++)
                    {
                        for (var j = 0; j < units; j++)
                        {
                            var a = u[(t * units) + j];
                            du[j] = dp[j] / n * (1 - (a * a));
                        }

                        model._token.Backward(x[i].AsSpan(t * Width, Width), du, null);
                    }
                }

                step++;
                var lr = (float)(learningRate * Math.Sqrt(1 - Math.Pow(0.999, step)) / (1 - Math.Pow(0.9, step)));
                foreach (var layer in layers)
                {
                    layer.Update(lr, (float)lambda);
                }

                for (var j = 0; j < model.V.Length; j++)
                {
                    model.V[j] -= Layer.Adam(gv[j] + ((float)lambda * model.V[j]), ref mv[j], ref sv[j], lr);
                }

                model.D -= Layer.Adam(gd, ref md, ref sd, lr);
            }

            onEpoch?.Invoke(epoch + 1);
        }

        return model;
    }

    /// <summary>The decision value for one sentence's token states.</summary>
    public double Score(float[] x) =>
        Forward(x, new float[x.Length / Width * _token.B.Length], new float[_token.B.Length], new float[Math.Max(_hidden?.B.Length ?? 0, 1)]);

    // Fills u (token units), p (their mean) and h (hidden units) and returns the score.
    private double Forward(float[] x, float[] u, float[] p, float[] h)
    {
        var units = _token.B.Length;
        var n = x.Length / Width;
        Array.Clear(p);
        for (var t = 0; t < n; t++)
        {
            var ut = u.AsSpan(t * units, units);
            _token.Forward(x.AsSpan(t * Width, Width), ut);
            for (var j = 0; j < units; j++)
            {
                p[j] += ut[j];
            }
        }

        for (var j = 0; j < units; j++)
        {
            p[j] /= n;
        }

        ReadOnlySpan<float> features = p;
        if (_hidden is { } hl)
        {
            hl.Forward(p, h);
            features = h;
        }

        double score = D;
        for (var j = 0; j < V.Length; j++)
        {
            score += V[j] * features[j];
        }

        return score;
    }
}
