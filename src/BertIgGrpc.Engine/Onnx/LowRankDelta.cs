using System.Text.Json;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>
/// A low-rank change to one 2-D float initializer of an encoder (a LoRA delta): <c>W' = W + A · B</c> with
/// <c>A</c> <c>[rows, rank]</c> and <c>B</c> <c>[rank, cols]</c>, row-major. The head trainer fine-tunes the top encoder
/// layer this way; <see cref="Apply"/> bakes the deltas into the weights on the host, so the composed model is an
/// ordinary ONNX model with the same graph (nothing in the explanation path knows about adapters).
/// </summary>
/// <param name="Initializer">The name of the initializer <c>W</c> <c>[rows, cols]</c>.</param>
/// <param name="Rows">Rows of <c>W</c>.</param>
/// <param name="Cols">Columns of <c>W</c>.</param>
/// <param name="Rank">The inner size of <c>A · B</c>.</param>
/// <param name="A">The left factor, <c>rows × rank</c> floats.</param>
/// <param name="B">The right factor, <c>rank × cols</c> floats.</param>
public sealed record LowRankDelta(string Initializer, int Rows, int Cols, int Rank, float[] A, float[] B)
{
    /// <summary>The head JSON property holding the deltas (an array; absent in heads that do not change the encoder).</summary>
    public const string JsonProperty = "encoder_deltas";

    /// <summary>Returns <c>W + A · B</c> for <paramref name="w"/> (row-major <c>[rows, cols]</c>), each entry summed in double and rounded once.</summary>
    public float[] AddTo(ReadOnlySpan<float> w)
    {
        if (w.Length != Rows * Cols)
        {
            throw new OnnxGraphException($"Initializer '{Initializer}' has {w.Length} values; the delta is [{Rows}, {Cols}].");
        }

        var result = new float[w.Length];
        for (var i = 0; i < Rows; i++)
        {
            for (var j = 0; j < Cols; j++)
            {
                double sum = 0;
                for (var k = 0; k < Rank; k++)
                {
                    sum += (double)A[(i * Rank) + k] * B[(k * Cols) + j];
                }

                result[(i * Cols) + j] = (float)(w[(i * Cols) + j] + sum);
            }
        }

        return result;
    }

    /// <summary>Returns a copy of <paramref name="model"/> with every delta added to its initializer.</summary>
    /// <exception cref="OnnxGraphException">An initializer is missing, not float, or not <c>[rows, cols]</c>.</exception>
    public static ModelProto Apply(ModelProto model, IReadOnlyList<LowRankDelta> deltas)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(deltas);
        var copy = model.Clone();
        foreach (var delta in deltas)
        {
            var index = copy.Graph.Initializer.ToList().FindIndex(t => t.Name == delta.Initializer);
            if (index < 0)
            {
                throw new OnnxGraphException($"The encoder has no initializer '{delta.Initializer}' for the head's encoder delta.");
            }

            var w = copy.Graph.Initializer[index];
            if (w.Dims.Count != 2 || w.Dims[0] != delta.Rows || w.Dims[1] != delta.Cols)
            {
                throw new OnnxGraphException($"Initializer '{delta.Initializer}' is [{string.Join(", ", w.Dims)}]; the head's delta is [{delta.Rows}, {delta.Cols}].");
            }

            copy.Graph.Initializer[index] = Tensors.FromFloats(w.Name, delta.AddTo(Tensors.ToFloats(w)), delta.Rows, delta.Cols);
        }

        return copy;
    }

    /// <summary>Reads the optional <see cref="JsonProperty"/> array of a head JSON object (empty when absent).</summary>
    /// <exception cref="InvalidDataException">An entry lacks a field or its sizes disagree.</exception>
    public static IReadOnlyList<LowRankDelta> ParseAll(JsonElement root)
    {
        if (!root.TryGetProperty(JsonProperty, out var array))
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"Head JSON: '{JsonProperty}' must be an array.");
        }

        return [.. array.EnumerateArray().Select(Parse)];
    }

    /// <summary>Writes this delta as one JSON object (factors as base64 of little-endian float32).</summary>
    public string ToJson() =>
        $"{{\"initializer\": {JsonSerializer.Serialize(Initializer)}, \"shape\": [{Rows}, {Cols}], \"rank\": {Rank}, \"a\": \"{Convert.ToBase64String(Tensors.LittleEndianBytes(A))}\", \"b\": \"{Convert.ToBase64String(Tensors.LittleEndianBytes(B))}\"}}";

    private static LowRankDelta Parse(JsonElement e)
    {
        try
        {
            var name = e.GetProperty("initializer").GetString() ?? throw new InvalidDataException("Head JSON: an encoder delta lacks 'initializer'.");
            var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var rank = e.GetProperty("rank").GetInt32();
            var a = Tensors.FromLittleEndianBytes(Convert.FromBase64String(e.GetProperty("a").GetString() ?? throw new FormatException("factor 'a' is null")));
            var b = Tensors.FromLittleEndianBytes(Convert.FromBase64String(e.GetProperty("b").GetString() ?? throw new FormatException("factor 'b' is null")));
            if (shape.Length != 2 || rank <= 0 || a.Length != shape[0] * rank || b.Length != rank * shape[1])
            {
                throw new InvalidDataException($"Head JSON: encoder delta '{name}' has shape [{string.Join(", ", shape)}], rank {rank}, {a.Length} 'a' and {b.Length} 'b' values, which disagree.");
            }

            return new LowRankDelta(name, shape[0], shape[1], rank, a, b);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"Head JSON: an entry of '{JsonProperty}' needs 'initializer', 'shape' [rows, cols], 'rank' and base64 float32 'a' and 'b' ({ex.Message}).", ex);
        }
    }
}
