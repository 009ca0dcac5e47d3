using System.Text.Json;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A linear classification head, <c>logits = x · Weightᵀ + Bias</c>, in the JSON layout the head trainer writes
/// (<c>{"weight": [[...], ...], "bias": [...]}</c>, PyTorch <c>nn.Linear</c> order: one row per class).
/// </summary>
public sealed class LinearHead
{
    private LinearHead(float[,] weight, float[] bias)
    {
        Weight = weight;
        Bias = bias;
    }

    /// <summary>Gets the weight <c>[classes, hidden]</c>.</summary>
    public float[,] Weight { get; }

    /// <summary>Gets the bias <c>[classes]</c>.</summary>
    public float[] Bias { get; }

    /// <summary>Gets the number of classes.</summary>
    public int Classes => Weight.GetLength(0);

    /// <summary>Gets the input width.</summary>
    public int Hidden => Weight.GetLength(1);

    /// <summary>Parses a head from its JSON bytes.</summary>
    /// <exception cref="InvalidDataException">The JSON lacks <c>weight</c> or <c>bias</c>, or their shapes disagree.</exception>
    public static LinearHead Parse(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var root = doc.RootElement;
        if (!root.TryGetProperty("weight", out var w) || w.ValueKind != JsonValueKind.Array || w.GetArrayLength() == 0)
        {
            throw new InvalidDataException("Head JSON: 'weight' must be a non-empty array of rows.");
        }

        if (!root.TryGetProperty("bias", out var b) || b.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("Head JSON: 'bias' must be an array.");
        }

        var rows = w.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var hidden = rows[0].Length;
        if (hidden == 0 || rows.Any(r => r.Length != hidden))
        {
            throw new InvalidDataException("Head JSON: every 'weight' row must have the same, non-zero length.");
        }

        var bias = b.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        if (bias.Length != rows.Length)
        {
            throw new InvalidDataException($"Head JSON: 'bias' has {bias.Length} entries but 'weight' has {rows.Length} rows.");
        }

        var weight = new float[rows.Length, hidden];
        for (var c = 0; c < rows.Length; c++)
        {
            for (var k = 0; k < hidden; k++)
            {
                weight[c, k] = rows[c][k];
            }
        }

        return new LinearHead(weight, bias);
    }
}
