using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Autodiff;

/// <summary>
/// Finds sub-graphs that exporters emit for one operation - LayerNorm and erf-GELU decomposed into element-wise
/// ops - and differentiates each as that one operation (the LayerNormalization and Gelu rules), from its input only.
/// Why: when backward nodes read the pattern's intermediate tensors, ONNX Runtime can no longer fuse the forward
/// part into its LayerNorm/Gelu kernels, and the gradient graph pays for both. Results are identical up to rounding.
/// Attention's scaled (and masked) softmax is differentiated as one <c>ScaledSoftmax</c> so that its backward scales
/// the incoming gradient, which ONNX Runtime folds into the matrix product that produces it, instead of making one
/// more pass over <c>[rows, heads, T, T]</c> for the scale.
/// </summary>
internal static class CompositePatterns
{
    /// <summary>Maps every node of a matched pattern to the one virtual node that stands for it; the virtual node's output is the pattern's output.</summary>
    public static Dictionary<NodeProto, NodeProto> Find(GraphView view, IReadOnlyList<NodeProto> nodes, Func<string, TensorInfo> info, int opset)
    {
        var graphOutputs = view.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var covered = new Dictionary<NodeProto, NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var node in nodes)
        {
            var match = node.OpType switch
            {
                "Div" => MatchLayerNorm(view, node, info, opset),
                "Erf" => MatchGelu(view, node),
                "Softmax" => MatchScaledSoftmax(view, node, info, opset),
                _ => null,
            };
            if (match is null || match.Value.Nodes.Any(covered.ContainsKey)) continue;

            // Every intermediate tensor must stay inside the pattern.
            var set = match.Value.Nodes.ToHashSet(ReferenceEqualityComparer.Instance);
            var output = match.Value.Virtual.Output[0];
            var internalOnly = match.Value.Nodes
                .SelectMany(n => n.Output)
                .Where(t => t != output)
                .All(t => !graphOutputs.Contains(t) && view.Consumers(t).All(set.Contains));
            if (!internalOnly) continue;
            foreach (var n in match.Value.Nodes) covered[n] = match.Value.Virtual;
        }

        return covered;
    }

    // y = (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * gamma + beta over the last axis (PyTorch's export of nn.LayerNorm).
    private static (NodeProto[] Nodes, NodeProto Virtual)? MatchLayerNorm(GraphView view, NodeProto div, Func<string, TensorInfo> info, int opset)
    {
        var sqrt = view.Producer(div.Input[1]);
        if (sqrt is not { OpType: "Sqrt" }) return null;
        var addEps = view.Producer(sqrt.Input[0]);
        if (addEps is not { OpType: "Add" } || !TrySplitConstant(view, addEps, out var variance, out var eps)) return null;
        var meanOfSquares = view.Producer(variance);
        var pow = meanOfSquares is { OpType: "ReduceMean" } ? view.Producer(meanOfSquares.Input[0]) : null;
        if (pow is not { OpType: "Pow" } || pow.Input[0] != div.Input[0] || ScalarConstant(view, pow.Input[1]) is not 2f) return null;
        var sub = view.Producer(div.Input[0]);
        if (sub is not { OpType: "Sub" }) return null;
        var x = sub.Input[0];
        var mean = view.Producer(sub.Input[1]);
        if (mean is not { OpType: "ReduceMean" } || mean.Input[0] != x) return null;
        var rank = info(x).Rank;
        if (!ReducesLastAxisOnly(view, mean, rank, opset) || !ReducesLastAxisOnly(view, meanOfSquares!, rank, opset)) return null;

        var mul = SingleConsumer(view, div.Output[0]);
        if (mul is not { OpType: "Mul" } || !TrySplitInitializer(view, mul, div.Output[0], out var gamma)) return null;
        var add = SingleConsumer(view, mul.Output[0]);
        if (add is not { OpType: "Add" } || !TrySplitInitializer(view, add, mul.Output[0], out var beta)) return null;

        var ln = new NodeProto { OpType = "LayerNormalization", Name = $"{div.Name}(LayerNorm)", Input = { x, gamma, beta }, Output = { add.Output[0] } };
        ln.Attribute.Add(Attributes.Int("axis", -1));
        ln.Attribute.Add(Attributes.Float("epsilon", eps));
        return ([mean, sub, pow, meanOfSquares!, addEps, sqrt, div, mul, add], ln);
    }

    // y = softmax(x * k [+ mask]) over the last axis, k a scalar constant (x / c: k = 1 / c): attention's scores.
    private static (NodeProto[] Nodes, NodeProto Virtual)? MatchScaledSoftmax(GraphView view, NodeProto softmax, Func<string, TensorInfo> info, int opset)
    {
        var rank = info(softmax.Input[0]).Rank;
        var axis = softmax.GetInt("axis", Opset.SoftmaxOverOneAxis(opset) ? -1 : 1);
        if (axis != -1 && axis != rank - 1) return null;
        var producer = view.Producer(softmax.Input[0]);
        NodeProto? add = null;
        var mask = "";
        if (producer is { OpType: "Add" } && producer.Input.Count == 2)
        {
            add = producer;
            var scaledFirst = view.Producer(add.Input[0]) is { OpType: "Div" or "Mul" };
            mask = add.Input[scaledFirst ? 1 : 0];
            producer = view.Producer(add.Input[scaledFirst ? 0 : 1]);
        }

        if (producer is not { OpType: "Div" or "Mul" } || !TrySplitConstant(view, producer, out var x, out var c) || c == 0f) return null;
        if (info(x).Rank != rank) return null;
        var virtualNode = new NodeProto { OpType = "ScaledSoftmax", Name = $"{softmax.Name}(ScaledSoftmax)", Input = { x }, Output = { softmax.Output[0] } };
        if (add is not null) virtualNode.Input.Add(mask);
        virtualNode.Attribute.Add(Attributes.Float("scale", producer.OpType == "Div" ? 1f / c : c));
        return (add is null ? [producer, softmax] : [producer, add, softmax], virtualNode);
    }

    // y = x * (erf(x / sqrt(2)) + 1) * 0.5 (PyTorch's export of exact GELU).
    private static (NodeProto[] Nodes, NodeProto Virtual)? MatchGelu(GraphView view, NodeProto erf)
    {
        var scale = view.Producer(erf.Input[0]);
        if (scale is not { OpType: "Div" or "Mul" } || !TrySplitConstant(view, scale, out var x, out var c)) return null;
        var expected = scale.OpType == "Div" ? Math.Sqrt(2.0) : 1.0 / Math.Sqrt(2.0);
        if (scale.OpType == "Div" && scale.Input[0] != x) return null;
        if (Math.Abs(c - expected) > 1e-5) return null;
        var plusOne = SingleConsumer(view, erf.Output[0]);
        if (plusOne is not { OpType: "Add" } || !TrySplitConstant(view, plusOne, out _, out var one) || one != 1f) return null;
        var timesX = SingleConsumer(view, plusOne.Output[0]);
        if (timesX is not { OpType: "Mul" } || !timesX.Input.Contains(x) || !timesX.Input.Contains(plusOne.Output[0])) return null;
        var half = SingleConsumer(view, timesX.Output[0]);
        if (half is not { OpType: "Mul" } || !TrySplitConstant(view, half, out _, out var h) || h != 0.5f) return null;

        var gelu = new NodeProto { OpType = "Gelu", Name = $"{erf.Name}(Gelu)", Input = { x }, Output = { half.Output[0] } };
        return ([scale, erf, plusOne, timesX, half], gelu);
    }

    private static bool ReducesLastAxisOnly(GraphView view, NodeProto reduce, int rank, int opset)
    {
        if (reduce.GetInt("keepdims", 1) == 0) return false;
        var axes = Opset.AxesAsInput(reduce.OpType, opset) ? (reduce.Input.Count > 1 ? view.ConstantInt64s(reduce.Input[1]) : null) : reduce.GetInts("axes");
        return axes is [var a] && (a == -1 || a == rank - 1);
    }

    private static NodeProto? SingleConsumer(GraphView view, string tensor)
        => view.Consumers(tensor) is [var only] ? only : null;

    private static float? ScalarConstant(GraphView view, string tensor)
        => view.ConstantValue(tensor) is { DataType: Tensors.Float } t && Tensors.ToFloats(t) is [var v] ? v : null;

    /// <summary>A binary node with one scalar float constant operand: the other operand and the constant.</summary>
    private static bool TrySplitConstant(GraphView view, NodeProto node, out string other, out float constant)
    {
        for (var i = 0; i < 2; i++)
        {
            if (ScalarConstant(view, node.Input[i]) is { } c)
            {
                other = node.Input[1 - i];
                constant = c;
                // Div and Sub are not commutative: the constant must be the second operand.
                return i == 1 || node.OpType is "Add" or "Mul";
            }
        }

        other = "";
        constant = 0;
        return false;
    }

    /// <summary>A binary node combining <paramref name="tensor"/> with an initializer: the initializer's name.</summary>
    private static bool TrySplitInitializer(GraphView view, NodeProto node, string tensor, out string initializer)
    {
        initializer = node.Input[0] == tensor ? node.Input[1] : node.Input[0];
        return node.Input.Count == 2 && node.Input.Contains(tensor) && view.Initializer(initializer) is not null;
    }
}
