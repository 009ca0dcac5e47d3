using BertIgGrpc.Engine.Autodiff.Rules;

namespace BertIgGrpc.Engine.Autodiff;

/// <summary>
/// The one table of what the gradient builder knows: a rule per differentiable op, the ops whose outputs
/// carry no gradient, and the ONNX Runtime fused ops that are refused with advice.
/// </summary>
internal static class GradientRegistry
{
    private static readonly Dictionary<string, Action<GradientContext>> Rules = new(StringComparer.Ordinal)
    {
        ["Add"] = ElementwiseRules.Add,
        ["Sub"] = ElementwiseRules.Sub,
        ["Mul"] = ElementwiseRules.Mul,
        ["Div"] = ElementwiseRules.Div,
        ["Pow"] = ElementwiseRules.Pow,
        ["Sqrt"] = ElementwiseRules.Sqrt,
        ["Neg"] = ElementwiseRules.Neg,
        ["Exp"] = ElementwiseRules.Exp,
        ["Log"] = ElementwiseRules.Log,
        ["Erf"] = ElementwiseRules.Erf,
        ["Tanh"] = ElementwiseRules.Tanh,
        ["Sigmoid"] = ElementwiseRules.Sigmoid,
        ["Relu"] = ElementwiseRules.Relu,
        ["Gelu"] = ElementwiseRules.Gelu,
        ["Where"] = ElementwiseRules.Where,
        ["Identity"] = ElementwiseRules.Identity,
        // Inference-mode Dropout is the identity on its first output.
        ["Dropout"] = ElementwiseRules.Identity,
        ["Cast"] = ElementwiseRules.Cast,
        ["Softmax"] = ReductionRules.Softmax,
        ["ReduceMean"] = ReductionRules.ReduceMean,
        ["ReduceSum"] = ReductionRules.ReduceSum,
        ["LayerNormalization"] = ReductionRules.LayerNormalization,
        ["MatMul"] = LinearAlgebraRules.MatMul,
        ["Gemm"] = LinearAlgebraRules.Gemm,
        ["Transpose"] = ShapeRules.Transpose,
        ["Reshape"] = ShapeRules.ReshapeLike,
        ["Flatten"] = ShapeRules.ReshapeLike,
        ["Squeeze"] = ShapeRules.ReshapeLike,
        ["Unsqueeze"] = ShapeRules.ReshapeLike,
        ["Expand"] = ShapeRules.Expand,
        ["Concat"] = ShapeRules.Concat,
        ["Split"] = ShapeRules.Split,
        ["Slice"] = ShapeRules.Slice,
        ["Gather"] = ShapeRules.Gather,
    };

    /// <summary>Ops whose outputs have zero or no gradient (shapes, comparisons, rounding, constants).</summary>
    private static readonly HashSet<string> NoGradient = new(StringComparer.Ordinal)
    {
        "Shape", "Size", "Constant", "ConstantOfShape", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual",
        "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "ArgMax", "ArgMin", "NonZero", "Floor", "Ceil", "Round", "Sign",
        "Range", "OneHot",
    };

    /// <summary>Gets the rule for an op, or null.</summary>
    public static Action<GradientContext>? Find(string opType) => Rules.GetValueOrDefault(opType);

    /// <summary>Whether the op's outputs carry no gradient.</summary>
    public static bool HasNoGradient(string opType) => NoGradient.Contains(opType);

    /// <summary>The ops with a gradient rule.</summary>
    public static IReadOnlyCollection<string> SupportedOps => Rules.Keys;

    /// <summary>Whether the node belongs to ONNX Runtime's fused contrib ops (com.microsoft).</summary>
    public static bool IsContribOp(string domain) => domain is "com.microsoft" or "com.microsoft.nchwc" or "com.ms.internal.nhwc";
}
