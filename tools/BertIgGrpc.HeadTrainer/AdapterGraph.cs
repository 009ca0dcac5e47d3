using System.Text.RegularExpressions;
using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.HeadTrainer;

/// <summary>One weight matrix of the top encoder layer that gets a low-rank delta, and where its factors sit in theta.</summary>
internal sealed record AdapterTarget(string Initializer, int Rows, int Cols, int Offset)
{
    public int Length(int rank) => (Rows + Cols) * rank;
}

/// <summary>
/// The training graph for fine-tuning the top encoder layer: the encoder's last layer alone (its input, the previous
/// layer's output, is a graph input, so the lower layers run once per sentence), every weight matrix <c>W</c> of that
/// layer replaced by <c>W + A · B</c>, and the token-layer head, all trainable numbers read from one flat input
/// <c>theta</c> (Slice + Reshape). The output is <c>log softmax(logits)</c> <c>[batch, 2]</c>; the engine's
/// <see cref="GradientGraphBuilder"/> differentiates <c>seed · output</c> with respect to <c>theta</c>, so a seed of
/// <c>-w_i / Σw</c> at each sentence's true class gives the gradient of the weighted cross-entropy, summed over the batch.
/// </summary>
internal sealed class AdapterGraph
{
    public const string Theta = "theta";
    public const string Mask = "attention_mask";
    public const string Output = "bertig_tune_logp";

    private AdapterGraph(ModelProto forward, string layerInput, IReadOnlyList<AdapterTarget> targets, int rank, int headOffset, int width, int units, int length)
    {
        Width = width;
        Forward = forward;
        LayerInput = layerInput;
        Targets = targets;
        Rank = rank;
        HeadOffset = headOffset;
        Units = units;
        Length = length;
    }

    /// <summary>Gets the forward training model (inputs: the layer input, the attention mask, theta).</summary>
    public ModelProto Forward { get; }

    /// <summary>Gets the name of the top layer's input tensor in the encoder (the previous layer's output).</summary>
    public string LayerInput { get; }

    public IReadOnlyList<AdapterTarget> Targets { get; }

    public int Rank { get; }

    /// <summary>Gets the token state's width (the hidden size).</summary>
    public int Width { get; }

    /// <summary>Gets where the head starts in theta: token weight [width, units] (as MatMul reads it), token bias, output weight [units, 2], bias.</summary>
    public int HeadOffset { get; }

    public int Units { get; }

    /// <summary>Gets theta's length.</summary>
    public int Length { get; }

    /// <summary>Builds the training graph for the top <paramref name="tunedLayers"/> layers of <paramref name="encoder"/>.</summary>
    public static AdapterGraph Build(ModelProto encoder, string hiddenOutput, int units, int rank, int tunedLayers = 1)
    {
        var graph = encoder.Graph;
        var layers = graph.Initializer.Select(t => Regex.Match(t.Name, @"^encoder\.layer\.(\d+)\.")).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var top = layers.Count > 0 ? layers.Max() : throw new InvalidOperationException("The encoder names no 'encoder.layer.N.' weights.");
        // The input of the lowest tuned layer: the output of the layer below it (the last `tunedLayers` layers are tuned).
        var lastNorm = $"encoder.layer.{top - tunedLayers}.output.LayerNorm.bias";
        var layerInput = graph.Node.Single(n => n.Input.Contains(lastNorm)).Output[0];

        // The top layer: ancestors of the hidden output, stopping at its input and the graph inputs.
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<string>([hiddenOutput]);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (t == layerInput || !producers.TryGetValue(t, out var producer) || !needed.Add(producer)) continue;
            foreach (var input in producer.Input.Where(i => i.Length > 0)) stack.Push(input);
        }

        var inits = graph.Initializer.ToDictionary(t => t.Name);
        var nodes = graph.Node.Where(needed.Contains).Select(n => n.Clone()).ToList();
        var offset = 0;
        var targets = new List<AdapterTarget>();
        foreach (var node in nodes.Where(n => n.OpType == "MatMul" && inits.TryGetValue(n.Input[1], out var w) && w.Dims.Count == 2))
        {
            var w = inits[node.Input[1]];
            targets.Add(new AdapterTarget(w.Name, (int)w.Dims[0], (int)w.Dims[1], offset));
            offset += targets[^1].Length(rank);
        }

        var headOffset = offset;
        var width = (int)inits[lastNorm].Dims[0];
        var length = headOffset + (width * units) + units + (units * 2) + 2;
        var model = new ModelProto { IrVersion = encoder.IrVersion, ProducerName = "BertIgGrpc.HeadTrainer" };
        model.OpsetImport.AddRange(encoder.OpsetImport.Select(o => o.Clone()));
        model.Graph = new GraphProto { Name = "top_layer_tuning" };
        var g = model.Graph;
        g.Input.Add(ValueInfo(layerInput, Tensors.Float, "batch", "seq", width));
        g.Input.Add(ValueInfo(Mask, Tensors.Int64, "batch", "seq"));
        g.Input.Add(ValueInfo(Theta, Tensors.Float, length));
        var e = new GraphEmitter(g, Opset.Of(encoder), "tune/");
        string Part(int start, params long[] shape) =>
            e.Reshape(e.Op("Slice", [Theta, e.Int64s(start), e.Int64s(start + shape.Aggregate(1L, (a, b) => a * b)), e.Int64s(0)]), e.Int64s(shape));

        // W + A·B for each target, emitted before the layer's nodes (they read only theta and initializers).
        var replaced = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in targets)
        {
            var a = Part(t.Offset, t.Rows, rank);
            var b = Part(t.Offset + (t.Rows * rank), rank, t.Cols);
            replaced[t.Initializer] = e.Add(t.Initializer, e.MatMul(a, b));
        }

        foreach (var node in nodes)
        {
            if (node.OpType == "MatMul" && replaced.TryGetValue(node.Input[1], out var w)) node.Input[1] = w;
            g.Node.Add(node);
        }

        var used = nodes.SelectMany(n => n.Input).Concat(targets.Select(t => t.Initializer)).ToHashSet(StringComparer.Ordinal);
        g.Initializer.AddRange(graph.Initializer.Where(t => used.Contains(t.Name)).Select(t => t.Clone()));

        // The head, as ClassifierHeadComposer emits it: tanh token layer, mean over the mask, linear output layer.
        var (tokenBiasAt, weightAt, biasAt) = HeadLayout(headOffset, width, units);
        var tokens = e.Op("Tanh", [e.Add(e.MatMul(hiddenOutput, Part(headOffset, width, units)), Part(tokenBiasAt, units))]);
        var maskU = e.Unsqueeze(e.Op("Cast", [Mask], Attributes.Int("to", Tensors.Float)), [-1]);
        var count = e.Add(e.ReduceSum(maskU, [1], keepDims: false), e.FloatScalar(1e-9f));
        var pooled = e.Div(e.ReduceSum(e.Mul(tokens, maskU), [1], keepDims: false), count);
        var logits = e.Add(e.MatMul(pooled, Part(weightAt, units, 2)), Part(biasAt, 2));
        e.OpTo("Log", [e.Op("Softmax", [logits], Attributes.Int("axis", 1))], Output);
        g.Output.Add(ValueInfo(Output, Tensors.Float, "batch", 2));
        return new AdapterGraph(model, layerInput, targets, rank, headOffset, width, units, length);
    }

    /// <summary>The first theta: the head's weights, random <c>A</c> (seeded, scale 1/sqrt(rows)) and <c>B = 0</c>, so the model starts as the head alone.</summary>
    public float[] Initial(LinearHead head, int seed)
    {
        var theta = new float[Length];
        var random = new Random(seed);
        foreach (var t in Targets)
        {
            for (var i = 0; i < t.Rows * Rank; i++)
            {
                theta[t.Offset + i] = (float)(((random.NextDouble() * 2) - 1) / Math.Sqrt(t.Rows));
            }
        }

        var tw = head.TokenWeight ?? throw new InvalidOperationException("Top-layer tuning needs a head with a token layer.");
        var (tokenBiasAt, weightAt, biasAt) = HeadLayout(HeadOffset, Width, Units);
        for (var k = 0; k < Width; k++)
        {
            for (var j = 0; j < Units; j++)
            {
                theta[HeadOffset + (k * Units) + j] = tw[j, k];
            }
        }

        head.TokenBias!.CopyTo(theta, tokenBiasAt);
        for (var j = 0; j < Units; j++)
        {
            theta[weightAt + (j * 2)] = head.Weight[0, j];
            theta[weightAt + (j * 2) + 1] = head.Weight[1, j];
        }

        head.Bias.CopyTo(theta, biasAt);
        return theta;
    }

    /// <summary>The low-rank deltas held by <paramref name="theta"/>.</summary>
    public List<LowRankDelta> Deltas(float[] theta) =>
        [.. Targets.Select(t => new LowRankDelta(t.Initializer, t.Rows, t.Cols, Rank, theta[t.Offset..(t.Offset + (t.Rows * Rank))], theta[(t.Offset + (t.Rows * Rank))..(t.Offset + t.Length(Rank))]))];

    /// <summary>The head held by <paramref name="theta"/>: token weight [units][width], token bias, output rows [2][units], biases.</summary>
    public (float[][] TokenWeight, float[] TokenBias, float[][] Weight, float[] Bias) Head(float[] theta)
    {
        var (tokenBiasAt, weightAt, biasAt) = HeadLayout(HeadOffset, Width, Units);
        var tw = Enumerable.Range(0, Units).Select(j => Enumerable.Range(0, Width).Select(k => theta[HeadOffset + (k * Units) + j]).ToArray()).ToArray();
        var w = Enumerable.Range(0, 2).Select(c => Enumerable.Range(0, Units).Select(j => theta[weightAt + (j * 2) + c]).ToArray()).ToArray();
        return (tw, theta[tokenBiasAt..weightAt], w, theta[biasAt..(biasAt + 2)]);
    }

    // Where the head's token bias, output weight [units, 2] and output bias start in theta (the token weight is first).
    private static (int TokenBias, int Weight, int Bias) HeadLayout(int headOffset, int width, int units) =>
        (headOffset + (width * units), headOffset + (width * units) + units, headOffset + (width * units) + (3 * units));

    /// <summary>The encoder cut at the top layer's input: that tensor <c>[batch, seq, width]</c> is its only output.</summary>
    public ModelProto LowerLayers(ModelProto encoder)
    {
        var model = encoder.Clone();
        var g = model.Graph;
        g.Output.Clear();
        g.Output.Add(ValueInfo(LayerInput, Tensors.Float, "batch", "seq", Width));
        // Drop the top layer and the pooler: keep only the ancestors of the cut (node order kept).
        var needed = new HashSet<string>(StringComparer.Ordinal) { LayerInput };
        var keep = new bool[g.Node.Count];
        for (var i = g.Node.Count - 1; i >= 0; i--)
        {
            if (!g.Node[i].Output.Any(needed.Contains)) continue;
            keep[i] = true;
            needed.UnionWith(g.Node[i].Input);
        }

        var nodes = g.Node.Where((_, i) => keep[i]).ToList();
        g.Node.Clear();
        g.Node.AddRange(nodes);
        var inits = g.Initializer.Where(t => needed.Contains(t.Name)).ToList();
        g.Initializer.Clear();
        g.Initializer.AddRange(inits);
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, int elemType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } };
    }
}
