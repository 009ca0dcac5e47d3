using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Autodiff;

/// <summary>The gradient model built by <see cref="GradientGraphBuilder"/> and the names of its inputs and outputs.</summary>
/// <param name="Model">The model: inputs <see cref="CutInput"/>, <see cref="OtherInputs"/> and <see cref="SeedInput"/>; outputs <see cref="LogitsOutput"/> and <see cref="GradientOutput"/>.</param>
/// <param name="CutInput">The cut tensor, fed directly.</param>
/// <param name="SeedInput">The seed gradient for the output, shaped like the output.</param>
/// <param name="OtherInputs">The original graph inputs still needed downstream of the cut (e.g. attention_mask).</param>
/// <param name="LogitsOutput">The forward output.</param>
/// <param name="GradientOutput">d(seed . output)/d(cut).</param>
public sealed record GradientModel(
    ModelProto Model, string CutInput, string SeedInput, IReadOnlyList<string> OtherInputs, string LogitsOutput, string GradientOutput);

/// <summary>
/// Reverse-mode automatic differentiation over an ONNX graph: emits a second ONNX model that computes the
/// output from the cut tensor and the gradient of <c>seed . output</c> with respect to the cut.
/// Only nodes on a path from the cut to the output are differentiated; integer and shape sub-graphs are
/// constants; gradients of tensors with several consumers are summed; no weight gets a gradient.
/// </summary>
public static class GradientGraphBuilder
{
    /// <summary>Name of the seed input of the gradient model.</summary>
    public const string SeedName = "bertig_seed";

    /// <summary>Name of the gradient output of the gradient model.</summary>
    public const string GradientName = "bertig_cut_grad";

    /// <summary>Builds the gradient model.</summary>
    /// <param name="forward">The forward model (not modified).</param>
    /// <param name="cut">The tensor attributions are taken at.</param>
    /// <param name="output">The output to differentiate (logits).</param>
    /// <param name="info">Element type and a probe shape of every tensor (see <see cref="ShapeProbe"/>).</param>
    public static GradientModel Build(ModelProto forward, string cut, string output, IReadOnlyDictionary<string, TensorInfo> info)
    {
        var view = new GraphView(forward.Graph);
        if (!view.Exists(cut))
        {
            throw new OnnxGraphException($"Cut tensor '{cut}' is not in the graph.");
        }

        if (!view.Exists(output))
        {
            throw new OnnxGraphException($"Output tensor '{output}' is not in the graph.");
        }

        TensorInfo Info(string t) => info.TryGetValue(t, out var i) ? i
            : throw new OnnxGraphException($"No type or shape is known for tensor '{t}'.");

        // 1. The nodes that compute the output once the cut is fed: ancestors of the output, stopping at the cut.
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<string>([output]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (t == cut || !seen.Add(t)) continue;
            var producer = view.Producer(t);
            if (producer is null || !needed.Add(producer)) continue;
            foreach (var input in producer.Input.Where(i => i.Length > 0)) stack.Push(input);
        }

        var ordered = forward.Graph.Node.Where(needed.Contains).ToList();

        // 2. Which tensors depend on the cut through floating-point values.
        var active = new HashSet<string>(StringComparer.Ordinal) { cut };
        foreach (var node in ordered)
        {
            if (!node.Input.Any(active.Contains)) continue;
            if (GradientRegistry.IsContribOp(node.Domain))
            {
                throw new OnnxGraphException(
                    $"Node '{node.Name}' uses ONNX Runtime's fused op {node.Domain}.{node.OpType}, which has no gradient rule. " +
                    "Export the model without ONNX Runtime graph optimizations (plain torch.onnx.export, no onnxruntime.transformers optimizer).");
            }

            if (GradientRegistry.HasNoGradient(node.OpType)) continue;
            foreach (var o in node.Output.Where(o => o.Length > 0 && Tensors.IsFloating(Info(o).ElemType))) active.Add(o);
        }

        if (!active.Contains(output))
        {
            throw new OnnxGraphException($"Output '{output}' does not depend on the cut tensor '{cut}'.");
        }

        // 3. The new graph: forward part first.
        var opset = Opset.Of(forward);
        var graph = new GraphProto { Name = forward.Graph.Name + "_grad" };
        var composites = CompositePatterns.Find(view, ordered, Info, opset);
        var emitted = EmitForward(graph, ordered, composites, active, Info);
        var usedNames = new HashSet<string>(ordered.SelectMany(n => n.Input), StringComparer.Ordinal);
        graph.Initializer.AddRange(forward.Graph.Initializer.Where(i => usedNames.Contains(i.Name)));
        var cutInfo = Info(cut);
        graph.Input.Add(ValueInfo(cut, cutInfo.ElemType, cutInfo.Rank, "cut"));
        var otherInputs = forward.Graph.Input
            .Where(i => view.GraphInputs.Contains(i.Name) && i.Name != cut && usedNames.Contains(i.Name))
            .ToList();
        graph.Input.AddRange(otherInputs.Select(i => i.Clone()));
        var outInfo = Info(output);
        graph.Input.Add(ValueInfo(SeedName, outInfo.ElemType, outInfo.Rank, "seed"));

        // 4. Reverse pass.
        var emitter = new GraphEmitter(graph, opset, "grad/");
        var contributions = new Dictionary<string, List<string>>(StringComparer.Ordinal) { [output] = [SeedName] };
        for (var k = ordered.Count - 1; k >= 0; k--)
        {
            var node = ordered[k];
            if (composites.TryGetValue(node, out var composite))
            {
                // The pattern is differentiated once, as one op, at the node that produces its output.
                if (node.Output[0] != composite.Output[0]) continue;
                node = composite;
            }

            node = emitted.GetValueOrDefault(node, node);

            var outputGrads = node.Output.Select(o => contributions.TryGetValue(o, out var list) ? emitter.Sum(list) : null).ToList();
            if (outputGrads.All(g => g is null)) continue;
            var needs = node.Input.Select(i => i.Length > 0 && active.Contains(i)).ToList();
            if (!needs.Any(n => n)) continue;

            var rule = GradientRegistry.Find(node.OpType)
                ?? throw new OnnxGraphException(
                    $"No gradient rule for op {node.OpType} (node '{node.Name}') on the path from '{cut}' to '{output}'. " +
                    $"Supported ops: {string.Join(", ", GradientRegistry.SupportedOps.Order())}.");
            var context = new GradientContext(node, emitter, view, Info, outputGrads, needs);
            rule(context);
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (!needs[i]) continue;
                var g = context.InputGradients[i]
                    ?? throw new OnnxGraphException($"The gradient rule for {node.OpType} (node '{node.Name}') gave no gradient for input {i}.");
                if (!contributions.TryGetValue(node.Input[i], out var list)) contributions[node.Input[i]] = list = [];
                list.Add(g);
            }
        }

        if (!contributions.TryGetValue(cut, out var cutGrads))
        {
            throw new OnnxGraphException($"No gradient reaches the cut tensor '{cut}'.");
        }

        emitter.OpTo("Identity", [emitter.Sum(cutGrads)], GradientName);
        graph.Output.Add(ValueInfo(output, outInfo.ElemType, outInfo.Rank, "out"));
        graph.Output.Add(ValueInfo(GradientName, cutInfo.ElemType, cutInfo.Rank, "cut"));

        var model = new ModelProto
        {
            IrVersion = forward.IrVersion,
            ProducerName = "BertIgGrpc.GradientGraphBuilder",
            Graph = graph,
        };
        model.OpsetImport.AddRange(forward.OpsetImport.Select(o => o.Clone()));
        return new GradientModel(model, cut, SeedName, otherInputs.Select(i => i.Name).ToList(), output, GradientName);
    }

    /// <summary>
    /// Adds the forward nodes to <paramref name="graph"/>: LayerNorm patterns as one <c>LayerNormalization</c> node, and
    /// every LayerNormalization the gradient passes through (float input) with its optional <c>Mean</c> and
    /// <c>InvStdDev</c> outputs, which its gradient rule reads instead of recomputing them. Returns the emitted node for
    /// each node (or pattern's virtual node) whose emitted form differs.
    /// </summary>
    private static Dictionary<NodeProto, NodeProto> EmitForward(
        GraphProto graph, IReadOnlyList<NodeProto> ordered, Dictionary<NodeProto, NodeProto> composites, HashSet<string> active, Func<string, TensorInfo> info)
    {
        var emitted = new Dictionary<NodeProto, NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var node in ordered)
        {
            var source = node;
            if (composites.TryGetValue(node, out var composite))
            {
                // Only LayerNorm runs as its op: ONNX has Gelu only from opset 20, so erf-GELU stays as exported.
                if (composite.OpType != "LayerNormalization")
                {
                    graph.Node.Add(node.Clone());
                    continue;
                }

                if (node.Output[0] != composite.Output[0]) continue; // emitted at the pattern's output node
                source = composite;
            }

            if (source.OpType != "LayerNormalization" || source.Domain.Length > 0 || !active.Contains(source.Input[0]) || info(source.Input[0]).ElemType != Tensors.Float)
            {
                graph.Node.Add(source.Clone());
                continue;
            }

            var ln = source.Clone();
            while (ln.Output.Count < 3) ln.Output.Add("");
            if (ln.Output[1].Length == 0) ln.Output[1] = $"{ln.Output[0]}/bertig_mean";
            if (ln.Output[2].Length == 0) ln.Output[2] = $"{ln.Output[0]}/bertig_inv_std_dev";
            graph.Node.Add(ln);
            emitted[source] = ln;
        }

        return emitted;
    }

    private static ValueInfoProto ValueInfo(string name, int elemType, int rank, string dimPrefix)
    {
        var shape = new TensorShapeProto();
        for (var d = 0; d < rank; d++) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = $"{dimPrefix}_d{d}" });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } };
    }
}
