using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>
/// The one place that knows a model's opset (of the default ONNX domain) and what changed between opsets for the ops
/// this engine reads or emits. Everything else asks here instead of comparing version numbers.
/// </summary>
public static class Opset
{
    /// <summary>The oldest opset composed or emitted: numpy-style broadcasting of Add, Mul and Div arrived in opset 7.</summary>
    public const int Minimum = 7;

    /// <summary>Whether <paramref name="domain"/> names the default ONNX domain.</summary>
    public static bool IsDefaultDomain(string? domain) => string.IsNullOrEmpty(domain) || domain == "ai.onnx";

    /// <summary>Gets the model's opset of the default ONNX domain (1 when it imports none).</summary>
    public static int Of(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return (int)model.OpsetImport.Where(o => IsDefaultDomain(o.Domain)).Select(o => o.Version).DefaultIfEmpty(1).Max();
    }

    /// <summary>Gets the model's opset, checked against <see cref="Minimum"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="role">What the model is, for the message (e.g. <c>encoder</c>).</param>
    /// <exception cref="OnnxGraphException">The opset is older than <see cref="Minimum"/>.</exception>
    public static int Supported(ModelProto model, string role)
    {
        var opset = Of(model);
        return opset >= Minimum ? opset : throw new OnnxGraphException($"The {role}'s opset {opset} is older than {Minimum}.");
    }

    /// <summary>
    /// Whether <paramref name="opType"/> takes its axes as an input rather than an attribute: ReduceSum, Squeeze and
    /// Unsqueeze from opset 13, the other reductions from opset 18.
    /// </summary>
    /// <exception cref="ArgumentException">The op has no axes.</exception>
    public static bool AxesAsInput(string opType, int opset) => opType switch
    {
        "ReduceSum" or "Squeeze" or "Unsqueeze" => opset >= 13,
        "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceL2"
            or "ReduceLogSum" or "ReduceLogSumExp" or "ReduceSumSquare" => opset >= 18,
        _ => throw new ArgumentException($"Op {opType} takes no axes.", nameof(opType)),
    };

    /// <summary>Whether Slice takes starts, ends, axes and steps as inputs (opset 10 on) rather than attributes.</summary>
    public static bool SliceBoundsAsInputs(int opset) => opset >= 10;

    /// <summary>
    /// Whether Softmax normalises over its one axis, default -1 (opset 13 on). Before, it flattened the input to 2-D at
    /// its axis, default 1, and normalised over every axis from there on.
    /// </summary>
    public static bool SoftmaxOverOneAxis(int opset) => opset >= 13;
}
