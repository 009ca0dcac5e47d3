using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>An index over a graph: who produces and who consumes each tensor, initializers and constants.</summary>
public sealed class GraphView
{
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);

    /// <summary>Indexes <paramref name="graph"/>. The view does not follow later edits.</summary>
    public GraphView(GraphProto graph)
    {
        Graph = graph;
        foreach (var init in graph.Initializer)
        {
            _initializers[init.Name] = init;
        }

        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                _producers[output] = node;
            }

            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (!_consumers.TryGetValue(input, out var list))
                {
                    _consumers[input] = list = [];
                }

                list.Add(node);
            }
        }

        GraphInputs = graph.Input.Select(i => i.Name).Where(n => !_initializers.ContainsKey(n)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Gets the graph.</summary>
    public GraphProto Graph { get; }

    /// <summary>Gets the names of the graph inputs that are not initializers.</summary>
    public IReadOnlySet<string> GraphInputs { get; }

    /// <summary>Gets the node producing <paramref name="tensor"/>, or null for inputs and initializers.</summary>
    public NodeProto? Producer(string tensor) => _producers.GetValueOrDefault(tensor);

    /// <summary>Gets the nodes consuming <paramref name="tensor"/>.</summary>
    public IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var l) ? l : [];

    /// <summary>Gets whether a tensor with that name exists in the graph.</summary>
    public bool Exists(string tensor) => _producers.ContainsKey(tensor) || _initializers.ContainsKey(tensor) || GraphInputs.Contains(tensor);

    /// <summary>Gets an initializer by name.</summary>
    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>Returns the constant value of a tensor (an initializer or a Constant node's value), or null.</summary>
    public TensorProto? ConstantValue(string tensor)
    {
        if (_initializers.TryGetValue(tensor, out var init))
        {
            return init;
        }

        var producer = Producer(tensor);
        if (producer is { OpType: "Constant" })
        {
            return producer.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        }

        return null;
    }

    /// <summary>Returns a constant integer tensor's values, or null when the tensor is not constant.</summary>
    public long[]? ConstantInt64s(string tensor)
    {
        if (string.IsNullOrEmpty(tensor))
        {
            return null;
        }

        var value = ConstantValue(tensor);
        if (value is not null)
        {
            return Tensors.ToInt64s(value);
        }

        var producer = Producer(tensor);
        var ints = producer is { OpType: "Constant" } ? producer.Attribute.FirstOrDefault(a => a.Name is "value_ints" or "value_int") : null;
        return ints is null ? null : ints.Name == "value_int" ? [ints.I] : [.. ints.Ints];
    }
}
