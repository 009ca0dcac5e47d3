namespace BertIgGrpc.Engine.Execution;

/// <summary>
/// The padded lengths runs use: a text of n tokens is padded up to the first of <see cref="Lengths"/> at or above n
/// (never beyond the model's token limit), so that texts of similar length share runs and ONNX Runtime sees a few shapes
/// again and again (its arena reuses the buffers of a shape it has seen). Padding carries attention mask 0; it costs at
/// most a quarter more tokens above 32 (and at most 7 tokens below).
/// </summary>
public static class LengthBuckets
{
    /// <summary>The padded lengths, ascending: steps of 8 up to 32, then about a quarter apart up to 512.</summary>
    public static IReadOnlyList<int> Lengths { get; } = [8, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 448, 512];

    /// <summary>
    /// Gets the padded length for <paramref name="length"/> tokens: the first bucket at or above it, capped at
    /// <paramref name="maxTokens"/> (the model takes no more), and never below <paramref name="length"/>.
    /// </summary>
    public static int Pad(int length, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        foreach (var bucket in Lengths)
        {
            if (bucket >= length)
            {
                return Math.Max(length, Math.Min(bucket, maxTokens));
            }
        }

        return length;
    }
}
