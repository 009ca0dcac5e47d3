using System.Text.Json;
using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A classification head, <c>logits = x · Weightᵀ + Bias</c>, optionally after one hidden layer
/// <c>x = tanh(pooled · HiddenWeightᵀ + HiddenBias)</c>, in the JSON layout the head trainer writes
/// (<c>{"weight": [[...], ...], "bias": [...]}</c>, PyTorch <c>nn.Linear</c> order: one row per output; the hidden
/// layer, when present, as <c>"hidden_weight"</c>, <c>"hidden_bias"</c> and <c>"hidden_activation": "tanh"</c>).
/// An optional token layer <c>"token_weight"</c>, <c>"token_bias"</c>, <c>"token_activation": "tanh"</c> maps every
/// token state before pooling, so the pooled vector is the mean of <c>tanh(state · TokenWeightᵀ + TokenBias)</c>.
/// An optional <c>"encoder_deltas"</c> array holds low-rank changes to encoder weights (<see cref="LowRankDelta"/>),
/// added to the encoder when the head is composed onto it.
/// </summary>
public sealed class LinearHead
{
    private LinearHead(float[,] weight, float[] bias, float[,]? hiddenWeight = null, float[]? hiddenBias = null, float[,]? tokenWeight = null, float[]? tokenBias = null)
    {
        TokenWeight = tokenWeight;
        TokenBias = tokenBias;
        Weight = weight;
        Bias = bias;
        HiddenWeight = hiddenWeight;
        HiddenBias = hiddenBias;
    }

    /// <summary>Gets the low-rank changes to the encoder's weights that come with this head (empty for most heads).</summary>
    public IReadOnlyList<LowRankDelta> EncoderDeltas { get; private init; } = [];

    /// <summary>Gets the token layer's weight <c>[units, state width]</c>, applied to every token before pooling, or null.</summary>
    public float[,]? TokenWeight { get; }

    /// <summary>Gets the token layer's bias <c>[units]</c>, or null.</summary>
    public float[]? TokenBias { get; }

    /// <summary>Gets the hidden layer's weight <c>[units, inputs]</c>, or null for a purely linear head.</summary>
    public float[,]? HiddenWeight { get; }

    /// <summary>Gets the hidden layer's bias <c>[units]</c>, or null for a purely linear head.</summary>
    public float[]? HiddenBias { get; }

    /// <summary>Gets the input width (the token state's width).</summary>
    public int Inputs => TokenWeight?.GetLength(1) ?? PooledWidth;

    /// <summary>Gets the pooled vector's width (the token units, or the state width without a token layer).</summary>
    public int PooledWidth => HiddenWeight?.GetLength(1) ?? Hidden;

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
        var hidden = TanhLayer(root, "hidden");
        if (hidden is { } h && h.Bias.Length != weight.GetLength(1))
        {
            throw new InvalidDataException($"Head JSON: the hidden layer has {h.Bias.Length} units but 'weight' rows read {weight.GetLength(1)}.");
        }

        var token = TanhLayer(root, "token");
        var pooledWidth = hidden?.Weight.GetLength(1) ?? weight.GetLength(1);
        if (token is { } t && t.Bias.Length != pooledWidth)
        {
            throw new InvalidDataException($"Head JSON: the token layer has {t.Bias.Length} units but the next layer reads {pooledWidth}.");
        }

        return new LinearHead(weight, bias, hidden?.Weight, hidden?.Bias, token?.Weight, token?.Bias) { EncoderDeltas = LowRankDelta.ParseAll(root) };
    }

    // The optional "<prefix>_weight", "<prefix>_bias", "<prefix>_activation": "tanh" layer.
    private static (float[,] Weight, float[] Bias)? TanhLayer(JsonElement root, string prefix)
    {
        if (!root.TryGetProperty(prefix + "_weight", out var hw))
        {
            return null;
        }

        if (!root.TryGetProperty(prefix + "_bias", out var hb) || hb.ValueKind != JsonValueKind.Array || hw.ValueKind != JsonValueKind.Array || hw.GetArrayLength() == 0)
        {
            throw new InvalidDataException($"Head JSON: '{prefix}_weight' must be a non-empty array of rows and come with a '{prefix}_bias' array.");
        }

        if (!root.TryGetProperty(prefix + "_activation", out var act) || act.GetString() != "tanh")
        {
            throw new InvalidDataException($"Head JSON: '{prefix}_activation' must be \"tanh\".");
        }

        return Layer(hw, hb, prefix + "_weight", prefix + "_bias");
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
