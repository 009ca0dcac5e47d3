using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Autodiff;

/// <summary>
/// The gradient model with the integration path built in (see <see cref="PathGraphBuilder"/>).
/// </summary>
/// <param name="Model">Inputs <see cref="BaselineInput"/>, <see cref="DifferenceInput"/>, <see cref="AlphasInput"/>, the gradient
/// model's other inputs and its seed; outputs the logits and <see cref="GradientSumOutput"/>.</param>
/// <param name="Gradient">The gradient model it wraps.</param>
public sealed record PathModel(ModelProto Model, GradientModel Gradient)
{
    /// <summary>L(x') at the cut, <c>[T, S, H]</c>.</summary>
    public const string BaselineInput = "bertig_path_baseline";

    /// <summary>L(x) - L(x') at the cut, <c>[T, S, H]</c>.</summary>
    public const string DifferenceInput = "bertig_path_difference";

    /// <summary>The chunk's interpolation points, one per row, <c>[K, T]</c> (row <c>k * T + t</c> takes <c>[k, t]</c>).</summary>
    public const string AlphasInput = "bertig_path_alphas";

    /// <summary>Sum over the chunk's K points of d(seed . logits)/d(cut), <c>[T, S, H]</c>.</summary>
    public const string GradientSumOutput = "bertig_path_grad_sum";
}

/// <summary>
/// Wraps a gradient model so that one run integrates a chunk of the path where the tensors already are (on the GPU
/// under CUDA): it takes L(x') and L(x) - L(x') once per text and the chunk's K interpolation points per text, forms the rows
/// <c>k * T + t = L(x'_t) + alpha_kt (L(x_t) - L(x'_t))</c> (the same float operations, in the same order, as Captum's
/// scaled features), runs the gradient graph on them and returns the gradients summed over the K points (the step
/// weights are in the seed). Points per text let one run carry texts of different requests (<c>PathRunScheduler</c>). A chunk moves <c>2 T S H</c> floats in and <c>T S H</c> out instead of <c>2 K T S H</c>.
/// </summary>
public static class PathGraphBuilder
{
    /// <summary>Builds the path model around <paramref name="gradient"/> (not modified).</summary>
    public static PathModel Build(GradientModel gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        var model = gradient.Model.Clone();
        var graph = model.Graph;
        var opset = Opset.Of(model);
        var cutInput = graph.Input.First(i => i.Name == gradient.CutInput);
        var elemType = cutInput.Type.TensorType.ElemType;
        graph.Input.Remove(cutInput);
        graph.Input.Insert(0, ValueInfo(PathModel.AlphasInput, elemType, ["k", "t"]));
        graph.Input.Insert(0, ValueInfo(PathModel.DifferenceInput, elemType, ["t", "s", "h"]));
        graph.Input.Insert(0, ValueInfo(PathModel.BaselineInput, elemType, ["t", "s", "h"]));

        // Prefix: the interpolated rows under the cut's name, so the gradient graph reads them unchanged.
        var prefix = new GraphProto();
        var e = new GraphEmitter(prefix, opset, "path/");
        var textShape = e.Shape(PathModel.BaselineInput);                                             // [3]: T, S, H
        var alphas = e.Unsqueeze(PathModel.AlphasInput, [2, 3]);                                      // [K, T, 1, 1]
        var baseline = e.Unsqueeze(PathModel.BaselineInput, [0]);                                     // [1, T, S, H]
        var difference = e.Unsqueeze(PathModel.DifferenceInput, [0]);                                 // [1, T, S, H]
        var rows = e.Add(baseline, e.Mul(alphas, difference));                                        // [K, T, S, H]
        var rowShape = e.Op("Concat", [e.Int64s(-1), e.Op("Slice", [textShape, e.Int64s(1), e.Int64s(3), e.Int64s(0)])],
            Attributes.Int("axis", 0));                                                               // [3]: -1, S, H
        e.OpTo("Reshape", [rows, rowShape], gradient.CutInput);                                     // [K T, S, H]

        var nodes = prefix.Node.Concat(graph.Node).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        graph.Initializer.AddRange(prefix.Initializer);

        // Suffix: the gradient rows summed over the K points.
        var s = new GraphEmitter(graph, opset, "path_sum/");
        var stepShape = s.Op("Concat", [s.Int64s(-1), textShape], Attributes.Int("axis", 0));         // [4]: -1, T, S, H
        var perStep = s.Reshape(gradient.GradientOutput, stepShape);                                  // [K, T, S, H]
        var summed = s.ReduceSum(perStep, [0], keepDims: false);                                      // [T, S, H]
        s.OpTo("Identity", [summed], PathModel.GradientSumOutput);
        var gradientOutput = graph.Output.First(o => o.Name == gradient.GradientOutput);
        graph.Output.Remove(gradientOutput);
        graph.Output.Add(ValueInfo(PathModel.GradientSumOutput, elemType, ["t", "s", "h"]));
        return new PathModel(model, gradient);
    }

    private static ValueInfoProto ValueInfo(string name, int elemType, string[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = $"path_{d}" });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } };
    }
}
