using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Execution;

/// <summary>
/// The memory of one row of a run as a function of its length <c>S</c>: <c>Factor * (LinearBytes * S + QuadraticBytes * S^2)</c>.
/// The coefficients are the bytes of every intermediate tensor of the model, read from the probe run: tensors with one
/// sequence dimension (<c>[B, S, hidden]</c>, <c>[B, S, intermediate]</c>, <c>[B, heads, S, head]</c>) grow linearly,
/// tensors with two (<c>[B, heads, S, S]</c> attention scores) quadratically; so layers, hidden and intermediate sizes and
/// heads all enter as the graph has them, whatever the architecture.
/// </summary>
/// <param name="LinearBytes">Bytes per row and token.</param>
/// <param name="QuadraticBytes">Bytes per row and token pair.</param>
/// <param name="Factor">
/// Peak memory of a gradient run per row over the sum of the forward tensors: the sum counts every tensor once, while
/// ONNX Runtime fuses nodes and its memory planner reuses buffers (the backward pass adds gradients in flight).
/// </param>
public sealed record ActivationCost(double LinearBytes, double QuadraticBytes, double Factor)
{
    /// <summary>
    /// The factor the runtime uses. Measured on MiniLM-L6 (peak RSS growth of gradient runs of 1 to 16 rows): 0.22 of the sum
    /// per row at 128 tokens, 0.29 at 512, and 0.37 at 512 counting each run's fixed part (two runs of 12 rows in flight
    /// peaked at 5.4 GB over the idle server); 0.5 leaves a margin.
    /// </summary>
    public const double GradientRunFactor = 0.5;

    /// <summary>Estimated bytes one row of <paramref name="seqLen"/> tokens holds at the peak of a run.</summary>
    public long BytesPerRow(int seqLen) => (long)Math.Ceiling(Factor * ((LinearBytes * seqLen) + (QuadraticBytes * seqLen * (double)seqLen)));

    /// <summary>Reads the coefficients from a probe of <paramref name="rows"/> x <paramref name="seqLen"/> (see <see cref="ShapeProbe"/>).</summary>
    internal static ActivationCost FromProbe(IReadOnlyDictionary<string, TensorInfo> info, ModelProto model, int rows, int seqLen)
    {
        var fixedTensors = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        double linear = 0, quadratic = 0;
        foreach (var (name, tensor) in info)
        {
            if (fixedTensors.Contains(name) || tensor.Shape.Length == 0)
            {
                continue;
            }

            // A flattened [B * S, hidden] counts as one sequence dimension.
            var sequenceDims = tensor.Shape.Count(d => d == seqLen);
            if (sequenceDims == 0 && tensor.Shape.Contains(rows * seqLen))
            {
                sequenceDims = 1;
            }

            if (sequenceDims == 0)
            {
                continue; // shapes, per-row scalars, logits: independent of the length and small
            }

            var bytes = tensor.Shape.Aggregate(1.0, (product, d) => product * Math.Max(1, d)) * ElementSize(tensor.ElemType);
            if (sequenceDims == 1)
            {
                linear += bytes / (rows * (double)seqLen);
            }
            else
            {
                quadratic += bytes / (rows * (double)seqLen * seqLen);
            }
        }

        return new ActivationCost(linear, quadratic, GradientRunFactor);
    }

    private static int ElementSize(int onnxType) => onnxType switch
    {
        2 or 3 or 9 => 1,     // uint8, int8, bool
        4 or 5 or 10 or 16 => 2, // uint16, int16, float16, bfloat16
        7 or 11 or 13 => 8,   // int64, double, uint64
        _ => 4,               // float, int32, uint32
    };
}
