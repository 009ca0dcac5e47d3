using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>A small fluent builder of ONNX graphs for gradient-rule tests.</summary>
internal sealed class TestGraph
{
    private readonly ModelProto _model;
    private int _constants;

    public TestGraph(int opset = 13)
    {
        _model = new ModelProto { IrVersion = opset >= 21 ? 10 : opset >= 15 ? 8 : 7, Graph = new GraphProto { Name = "test" } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public TestGraph Input(string name, params long[] dims) => TypedInput(name, Tensors.Float, dims);

    public TestGraph TypedInput(string name, int elemType, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        _model.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } });
        return this;
    }

    /// <summary>An input whose dims are all symbolic (batch, sequence, ...).</summary>
    public TestGraph DynamicInput(string name, int elemType, params string[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimParam = d }));
        _model.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } });
        return this;
    }

    public TestGraph Weight(string name, long[] dims, int seed = 7)
    {
        var rnd = new Random(seed);
        var count = (int)dims.Aggregate(1L, (a, b) => a * b);
        _model.Graph.Initializer.Add(Tensors.FromFloats(name, Enumerable.Range(0, count).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray(), dims));
        return this;
    }

    public TestGraph Floats(string name, float[] values, params long[] dims)
    {
        _model.Graph.Initializer.Add(Tensors.FromFloats(name, values, dims));
        return this;
    }

    public TestGraph Ints(string name, params long[] values)
    {
        _model.Graph.Initializer.Add(Tensors.FromInt64s(name, values));
        return this;
    }

    /// <summary>Adds a scalar (rank 0) int64 initializer.</summary>
    public TestGraph ScalarIndex(string name, long value)
    {
        _model.Graph.Initializer.Add(Tensors.FromInt64s(name, [value], []));
        return this;
    }

    /// <summary>Adds an int64 initializer and returns its name (for inline use in Node inputs).</summary>
    public string Const(params long[] values)
    {
        var name = $"c{_constants++}";
        Ints(name, values);
        return name;
    }

    public TestGraph Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
        => NodeIn("", op, inputs, outputs, attributes);

    public TestGraph NodeIn(string domain, string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{_model.Graph.Node.Count}", Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(node);
        return this;
    }

    public TestGraph Output(string name)
    {
        _model.Graph.Output.Add(new ValueInfoProto { Name = name });
        return this;
    }

    public ModelProto Build() => _model.Clone();
}
