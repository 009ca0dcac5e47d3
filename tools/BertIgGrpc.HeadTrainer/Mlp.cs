namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// A one-hidden-layer perceptron <c>s = v · tanh(W x + c) + d</c> for binary sentiment, trained with weighted logistic
/// loss, an L2 penalty on the weights and Adam over shuffled mini-batches. One thread, a seeded shuffle and a fixed
/// summation order make the same data give the same model.
/// </summary>
internal sealed class Mlp
{
    private Mlp(int inputs, int hidden)
    {
        W = new float[hidden][];
        for (var j = 0; j < hidden; j++)
        {
            W[j] = new float[inputs];
        }

        C = new float[hidden];
        V = new float[hidden];
    }

    /// <summary>Gets the hidden weights <c>[hidden][inputs]</c>.</summary>
    public float[][] W { get; }

    /// <summary>Gets the hidden biases.</summary>
    public float[] C { get; }

    /// <summary>Gets the output weights.</summary>
    public float[] V { get; }

    /// <summary>Gets the output bias.</summary>
    public float D { get; private set; }

    /// <summary>Trains a model.</summary>
    public static Mlp Fit(float[][] x, int[] y, double[] sampleWeight, int hidden, double lambda, int epochs, int seed, int batchSize = 64, double learningRate = 1e-3)
    {
        var inputs = x[0].Length;
        var model = new Mlp(inputs, hidden);
        var random = new Random(seed);
        var scale = Math.Sqrt(6.0 / (inputs + hidden));
        for (var j = 0; j < hidden; j++)
        {
            for (var k = 0; k < inputs; k++)
            {
                model.W[j][k] = (float)(((random.NextDouble() * 2) - 1) * scale);
            }

            model.V[j] = (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(6.0 / (hidden + 1)));
        }

        // Parameters flattened as [W rows..., C, V, D] for Adam.
        var count = (hidden * inputs) + hidden + hidden + 1;
        var m = new float[count];
        var s = new float[count];
        var grad = new float[count];
        var meanWeight = sampleWeight.Average();
        var order = Enumerable.Range(0, x.Length).ToArray();
        var h = new float[hidden];
        var dh = new float[hidden];
        long step = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += batchSize)
            {
                Array.Clear(grad);
                var end = Math.Min(start + batchSize, order.Length);
                for (var b = start; b < end; b++)
                {
                    var i = order[b];
                    var score = model.Forward(x[i], h);
                    var p = 1 / (1 + Math.Exp(-score));
                    var r = (float)(sampleWeight[i] / meanWeight * (p - y[i]) / (end - start));
                    for (var j = 0; j < hidden; j++)
                    {
                        grad[(hidden * inputs) + hidden + j] += r * h[j];
                        dh[j] = r * model.V[j] * (1 - (h[j] * h[j]));
                        grad[(hidden * inputs) + j] += dh[j];
                        Axpy(dh[j], x[i], grad.AsSpan(j * inputs, inputs));
                    }

                    grad[count - 1] += r;
                }

                step++;
                var lr = learningRate * Math.Sqrt(1 - Math.Pow(0.999, step)) / (1 - Math.Pow(0.9, step));
                model.Update(grad, m, s, (float)lr, (float)lambda, inputs);
            }
        }

        return model;
    }

    /// <summary>The decision value for one input; fills <paramref name="h"/> with the hidden activations.</summary>
    public double Forward(float[] x, float[] h)
    {
        double score = D;
        for (var j = 0; j < C.Length; j++)
        {
            h[j] = MathF.Tanh(Dot(W[j], x) + C[j]);
            score += V[j] * h[j];
        }

        return score;
    }

    /// <summary>The decision value for one input.</summary>
    public double Score(float[] x) => Forward(x, new float[C.Length]);

    private void Update(float[] grad, float[] m, float[] s, float lr, float lambda, int inputs)
    {
        var hidden = C.Length;
        var p = 0;
        for (var j = 0; j < hidden; j++)
        {
            for (var k = 0; k < inputs; k++, p++)
            {
                W[j][k] -= Adam(grad[p] + (lambda * W[j][k]), ref m[p], ref s[p], lr);
            }
        }

        for (var j = 0; j < hidden; j++, p++)
        {
            C[j] -= Adam(grad[p], ref m[p], ref s[p], lr);
        }

        for (var j = 0; j < hidden; j++, p++)
        {
            V[j] -= Adam(grad[p] + (lambda * V[j]), ref m[p], ref s[p], lr);
        }

        D -= Adam(grad[p], ref m[p], ref s[p], lr);
    }

    private static float Adam(float g, ref float m, ref float s, float lr) => Layer.Adam(g, ref m, ref s, lr);

    private static float Dot(float[] a, float[] b) => Layer.Dot(a, b);

    private static void Axpy(float alpha, float[] x, Span<float> y) => Layer.Axpy(alpha, x, y);
}
