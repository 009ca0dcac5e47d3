using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Attribution;

/// <summary>Turns per-token attribution vectors into <see cref="TokenAttribution"/> lists, per token and per whole word.</summary>
internal static class TokenAggregation
{
    /// <summary>One entry per token, special tokens included, normalised by the L2 norm over all tokens.</summary>
    public static IReadOnlyList<TokenAttribution> Tokens(EncodedText encoded, ReadOnlySpan<double> attributions)
    {
        var norm = L2Norm(attributions);
        var result = new TokenAttribution[encoded.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = new TokenAttribution(
                encoded.Tokens[i], encoded.Ids[i], encoded.Starts[i], encoded.Ends[i],
                attributions[i], Normalize(attributions[i], norm), encoded.Segments[i], encoded.Special[i]);
        }

        return result;
    }

    /// <summary>
    /// Whole words: a token followed by its <c>##</c> continuation pieces (within one segment) becomes one entry whose
    /// text is the original word, whose span runs from the first piece's start to the last piece's end and whose
    /// attribution is the sum of its pieces'. Special tokens stay entries of their own (their attribution is 0 by
    /// construction, so they do not change the norm), which keeps both lists aligned on [CLS]/[SEP] for clients.
    /// Normalised by the L2 norm over words.
    /// </summary>
    public static IReadOnlyList<TokenAttribution> Words(EncodedText encoded, ReadOnlySpan<double> attributions)
    {
        var words = new List<(int First, int Last, double Sum)>();
        for (var i = 0; i < encoded.Length; i++)
        {
            var continues = !encoded.Special[i]
                && encoded.Tokens[i].StartsWith("##", StringComparison.Ordinal)
                && words.Count > 0
                && !encoded.Special[words[^1].Last]
                && encoded.Segments[words[^1].Last] == encoded.Segments[i];
            if (continues)
            {
                var (first, _, sum) = words[^1];
                words[^1] = (first, i, sum + attributions[i]);
            }
            else
            {
                words.Add((i, i, attributions[i]));
            }
        }

        var norm = Math.Sqrt(words.Sum(w => w.Sum * w.Sum));
        var result = new TokenAttribution[words.Count];
        for (var w = 0; w < words.Count; w++)
        {
            var (first, last, sum) = words[w];
            var segment = encoded.Segments[first];
            string text;
            int start = encoded.Starts[first], end = encoded.Ends[last];
            if (encoded.Special[first])
            {
                text = encoded.Tokens[first];
            }
            else
            {
                var source = encoded.SegmentText(segment);
                text = end > start && end <= source.Length ? source[start..end] : encoded.Tokens[first];
            }

            result[w] = new TokenAttribution(text, encoded.Ids[first], start, end, sum, Normalize(sum, norm), segment, encoded.Special[first]);
        }

        return result;
    }

    private static double L2Norm(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            sum += v * v;
        }

        return Math.Sqrt(sum);
    }

    // An all-zero attribution (e.g. input equal to the baseline) normalises to zeros rather than NaN.
    private static double Normalize(double value, double norm) => norm > 0 ? value / norm : 0;
}
