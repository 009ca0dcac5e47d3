namespace BertIgGrpc.Engine.Attribution;

/// <summary>What is read off a row of logits: the predicted class and the softmax.</summary>
internal static class Logits
{
    /// <summary>Gets the index of the largest logit (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>The softmax of one row of logits, in double, shifted by the maximum for stability.</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var result = new double[logits.Length];
        var total = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            total += result[i];
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= total;
        }

        return result;
    }

    /// <summary>Classifies one row of logits (<see cref="Softmax"/>).</summary>
    public static Prediction ToPrediction(float[] logits, IReadOnlyList<string> labels)
    {
        var probabilities = Softmax(logits);
        var best = ArgMax(logits);
        return new Prediction(labels[best], best, probabilities[best], logits, probabilities.Select(p => (float)p).ToArray());
    }
}
