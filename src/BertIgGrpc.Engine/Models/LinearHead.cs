using System.Text.Json;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A classification head, <c>logits = x · Weightᵀ + Bias</c>, optionally after one hidden layer
/// <c>x = tanh(pooled · HiddenWeightᵀ + HiddenBias)</c>, in the JSON layout the head trainer writes
/// (<c>{"weight": [[...], ...], "bias": [...]}</c>, PyTorch <c>nn.Linear</c> order: one row per output; the hidden
/// layer, when present, as <c>"hidden_weight"</c>, <c>"hidden_bias"</c> and <c>"hidden_activation": "tanh"</c>).
/// </summary>
public sealed class LinearHead
{
    private LinearHead(float[,] weight, float[] bias, float[,]? hiddenWeight = null, float[]? hiddenBias = null)
    {
        Weight = weight;
        Bias = bias;
        HiddenWeight = hiddenWeight;
        HiddenBias = hiddenBias;
    }

    /// <summary>Gets the hidden layer's weight <c>[units, inputs]</c>, or null for a purely linear head.</summary>
    public float[,]? HiddenWeight { get; }

    /// <summary>Gets the hidden layer's bias <c>[units]</c>, or null for a purely linear head.</summary>
    public float[]? HiddenBias { get; }

    /// <summary>Gets the input width (the pooled vector's width).</summary>
    public int Inputs => HiddenWeight?.GetLength(1) ?? Hidden;

    /// <summary>Gets the weight <c>[classes, hidden]</c>.</summary>
    public float[,] Weight { get; }

    /// <summary>Gets the bias <c>[classes]</c>.</summary>
    public float[] Bias { get; }

    /// <summary>Gets the number of classes.</summary>
    public int Classes => Weight.GetLength(0);

    /// <summary>Gets the width the output layer reads (the hidden units, or the input width without a hidden layer).</summary>
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

        var (weight, bias) = Layer(w, b, "weight", "bias");
        if (!root.TryGetProperty("hidden_weight", out var hw))
        {
            return new LinearHead(weight, bias);
        }

        if (!root.TryGetProperty("hidden_bias", out var hb) || hb.ValueKind != JsonValueKind.Array || hw.ValueKind != JsonValueKind.Array || hw.GetArrayLength() == 0)
        {
            throw new InvalidDataException("Head JSON: 'hidden_weight' must be a non-empty array of rows and come with a 'hidden_bias' array.");
        }

        if (!root.TryGetProperty("hidden_activation", out var act) || act.GetString() != "tanh")
        {
            throw new InvalidDataException("Head JSON: 'hidden_activation' must be \"tanh\".");
        }

        var (hiddenWeight, hiddenBias) = Layer(hw, hb, "hidden_weight", "hidden_bias");
        if (hiddenBias.Length != weight.GetLength(1))
        {
            throw new InvalidDataException($"Head JSON: the hidden layer has {hiddenBias.Length} units but 'weight' rows read {weight.GetLength(1)}.");
        }

        return new LinearHead(weight, bias, hiddenWeight, hiddenBias);
    }

    private static (float[,] Weight, float[] Bias) Layer(JsonElement w, JsonElement b, string weightName, string biasName)
    {
        var rows = w.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var width = rows[0].Length;
        if (width == 0 || rows.Any(r => r.Length != width))
        {
            throw new InvalidDataException($"Head JSON: every '{weightName}' row must have the same, non-zero length.");
        }

        var bias = b.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        if (bias.Length != rows.Length)
        {
            throw new InvalidDataException($"Head JSON: '{biasName}' has {bias.Length} entries but '{weightName}' has {rows.Length} rows.");
        }

        var weight = new float[rows.Length, width];
        for (var c = 0; c < rows.Length; c++)
        {
            for (var k = 0; k < width; k++)
            {
                weight[c, k] = rows[c][k];
            }
        }

        return (weight, bias);
    }
}
