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

    /// <summary>Classifies one row of logits: softmax in double, shifted by the maximum for stability.</summary>
    public static Prediction ToPrediction(float[] logits, IReadOnlyList<string> labels)
    {
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var total = exp.Sum();
        var probabilities = exp.Select(e => (float)(e / total)).ToArray();
        var best = ArgMax(logits);
        return new Prediction(labels[best], best, exp[best] / total, logits, probabilities);
    }
}
