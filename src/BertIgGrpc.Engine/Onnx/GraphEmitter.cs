using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>
/// Appends nodes and constants to a graph with names unique under <c>prefix</c>, hiding the opset differences of the
/// ops it emits (see <see cref="Onnx.Opset.AxesAsInput"/>). The gradient graph builders and the classifier head
/// composer build their graphs with it. The same calls always give the same nodes and names.
/// </summary>
internal sealed class GraphEmitter(GraphProto graph, int opset, string prefix)
{
    private int _counter;

    public int Opset { get; } = opset;

    public string NewName(string hint) => $"{prefix}{hint}_{_counter++}";

    /// <summary>Appends a node and returns its first output.</summary>
    public string Op(string opType, string[] inputs, params AttributeProto[] attributes)
        => OpMulti(opType, inputs, 1, attributes)[0];

    public string[] OpMulti(string opType, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName(opType) };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(i => $"{node.Name}_out{i}").ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return names;
    }

    /// <summary>Appends a node whose one output is named <paramref name="output"/> (a graph output, or a tensor others read).</summary>
    public string OpTo(string opType, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName(opType) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return output;
    }

    public string FloatScalar(float value)
    {
        var name = NewName("const_f");
        graph.Initializer.Add(Tensors.FromFloats(name, [value]));
        return name;
    }

    /// <summary>A float initializer with the given dims.</summary>
    public string Floats(string hint, float[] values, params long[] dims)
    {
        var name = NewName(hint);
        graph.Initializer.Add(Tensors.FromFloats(name, values, dims));
        return name;
    }

    public string Int64s(params long[] values)
    {
        var name = NewName("const_i");
        graph.Initializer.Add(Tensors.FromInt64s(name, values));
        return name;
    }

    public string Add(string a, string b) => Op("Add", [a, b]);
    public string Sub(string a, string b) => Op("Sub", [a, b]);
    public string Mul(string a, string b) => Op("Mul", [a, b]);
    public string Div(string a, string b) => Op("Div", [a, b]);
    public string Neg(string a) => Op("Neg", [a]);
    public string Shape(string a) => Op("Shape", [a]);
    public string Reshape(string a, string shape) => Op("Reshape", [a, shape]);
    public string MatMul(string a, string b) => Op("MatMul", [a, b]);
    public string Transpose(string a, long[] perm) => Op("Transpose", [a], Attributes.Ints("perm", perm));
    public string Expand(string a, string shape) => Op("Expand", [a, shape]);

    /// <summary>Sums several tensors of the same shape.</summary>
    public string Sum(IReadOnlyList<string> terms) => terms.Count == 1 ? terms[0] : Op("Sum", [.. terms]);

    /// <summary>The 1-element int64 tensor holding dimension <paramref name="axis"/> of <paramref name="tensor"/>.</summary>
    public string Dim(string tensor, long axis)
        => Op("Slice", [Shape(tensor), Int64s(axis), Int64s(axis + 1), Int64s(0)]);

    public string ReduceSum(string x, long[] axes, bool keepDims)
        => Onnx.Opset.AxesAsInput("ReduceSum", Opset)
            ? Op("ReduceSum", [x, Int64s(axes)], Attributes.Int("keepdims", keepDims ? 1 : 0))
            : Op("ReduceSum", [x], Attributes.Ints("axes", axes), Attributes.Int("keepdims", keepDims ? 1 : 0));

    public string ReduceMean(string x, long[] axes, bool keepDims)
        => Onnx.Opset.AxesAsInput("ReduceMean", Opset)
            ? Op("ReduceMean", [x, Int64s(axes)], Attributes.Int("keepdims", keepDims ? 1 : 0))
            : Op("ReduceMean", [x], Attributes.Ints("axes", axes), Attributes.Int("keepdims", keepDims ? 1 : 0));

    public string Unsqueeze(string x, long[] axes)
        => Onnx.Opset.AxesAsInput("Unsqueeze", Opset) ? Op("Unsqueeze", [x, Int64s(axes)]) : Op("Unsqueeze", [x], Attributes.Ints("axes", axes));

    /// <summary>A float tensor of zeros with the (dynamic) shape of <paramref name="like"/>.</summary>
    public string ZerosLike(string like)
        => Op("ConstantOfShape", [Shape(like)], Attributes.Tensor("value", Tensors.FromFloats("zero", [0f], 1)));

    /// <summary>
    /// Sums a broadcast gradient back to the shape of the operand it flows to. <paramref name="gradShape"/> and
    /// <paramref name="operandShape"/> are the probe's shapes: axes where the operand had size 1 (or did not exist)
    /// and the gradient did not are summed; the result is reshaped to the operand's runtime shape.
    /// </summary>
    public string ReduceToOperand(string grad, long[] gradShape, string operand, long[] operandShape)
    {
        if (gradShape.SequenceEqual(operandShape))
        {
            return grad;
        }

        var lead = gradShape.Length - operandShape.Length;
        var axes = new List<long>();
        for (var i = 0; i < gradShape.Length; i++)
        {
            var operandDim = i < lead ? 1 : operandShape[i - lead];
            if (i < lead || (operandDim == 1 && gradShape[i] != 1))
            {
                axes.Add(i);
            }
        }

        var reduced = axes.Count == 0 ? grad : ReduceSum(grad, [.. axes], keepDims: true);
        return Reshape(reduced, Shape(operand));
    }
}
