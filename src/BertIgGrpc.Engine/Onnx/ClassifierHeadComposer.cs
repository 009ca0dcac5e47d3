using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>
/// Turns a sentence encoder (token ids -> <c>[batch, seq, hidden]</c>) into a classifier by appending mean pooling
/// over the attention mask, optional L2 normalisation and a linear head, as the sentence-transformers
/// <c>Pooling</c> + <c>Normalize</c> modules do. Only ops the gradient builder differentiates are used on the path from
/// the hidden states to the logits, so the composed model can be explained like any exported classifier.
/// The result is deterministic: the same inputs always give the same bytes.
/// </summary>
public static class ClassifierHeadComposer
{
    /// <summary>The prefix of every node, initializer and intermediate tensor this class adds.</summary>
    public const string Prefix = "bertig_head/";

    /// <summary>
    /// Appends mean pooling (and optionally L2 normalisation) to <paramref name="encoder"/> and makes the pooled
    /// vector <c>[batch, hidden]</c> the only output, named <paramref name="outputName"/>.
    /// </summary>
    /// <param name="encoder">The encoder; it is not modified.</param>
    /// <param name="hiddenOutput">The encoder output holding the token states <c>[batch, seq, hidden]</c>, e.g. <c>last_hidden_state</c>.</param>
    /// <param name="l2Normalize">Whether the pooled vector is divided by its L2 norm.</param>
    /// <param name="outputName">The name of the new output.</param>
    /// <param name="attentionMaskInput">The graph input holding the attention mask <c>[batch, seq]</c>.</param>
    /// <returns>A new model.</returns>
    public static ModelProto AppendMeanPooling(ModelProto encoder, string hiddenOutput, bool l2Normalize, string outputName = "embedding", string attentionMaskInput = "attention_mask")
    {
        var builder = new Builder(encoder, hiddenOutput, attentionMaskInput, outputName);
        var pooled = builder.MeanPool(l2Normalize);
        return builder.Finish(pooled, outputName, builder.HiddenSize);
    }

    /// <summary>
    /// Appends mean pooling over the attention mask, optional L2 normalisation and a linear layer
    /// <c>logits = pooled · weightᵀ + bias</c>, and makes <paramref name="outputName"/> <c>[batch, classes]</c> the only output.
    /// </summary>
    /// <param name="encoder">The encoder; it is not modified.</param>
    /// <param name="hiddenOutput">The encoder output holding the token states <c>[batch, seq, hidden]</c>, e.g. <c>last_hidden_state</c>.</param>
    /// <param name="weight">The head weight <c>[classes, hidden]</c> (PyTorch <c>nn.Linear</c> layout).</param>
    /// <param name="bias">The head bias <c>[classes]</c>.</param>
    /// <param name="l2Normalize">Whether the pooled vector is divided by its L2 norm before the head.</param>
    /// <param name="outputName">The name of the logits output.</param>
    /// <param name="attentionMaskInput">The graph input holding the attention mask <c>[batch, seq]</c>.</param>
    /// <returns>A new model.</returns>
    /// <exception cref="OnnxGraphException">The encoder lacks the named output or input, or a shape does not match.</exception>
    public static ModelProto AppendMeanPoolingHead(
        ModelProto encoder, string hiddenOutput, float[,] weight, float[] bias, bool l2Normalize,
        string outputName = "logits", string attentionMaskInput = "attention_mask") =>
        AppendMeanPoolingHead(encoder, hiddenOutput, null, null, weight, bias, l2Normalize, outputName, attentionMaskInput);

    /// <summary>
    /// As <see cref="AppendMeanPoolingHead(ModelProto, string, float[,], float[], bool, string, string)"/>, with the
    /// head's optional tanh hidden layer <c>tanh(pooled · hiddenWeightᵀ + hiddenBias)</c> between the pooled vector
    /// and the output layer (MatMul, Add and Tanh, which the gradient builder differentiates), its optional token layer,
    /// and its optional low-rank encoder deltas added to the encoder's weights first.
    /// </summary>
    /// <param name="encoder">The encoder; it is not modified.</param>
    /// <param name="hiddenOutput">The encoder output holding the token states <c>[batch, seq, hidden]</c>.</param>
    /// <param name="head">The head.</param>
    /// <param name="l2Normalize">Whether the pooled vector is divided by its L2 norm before the head.</param>
    /// <param name="outputName">The name of the logits output.</param>
    /// <param name="attentionMaskInput">The graph input holding the attention mask <c>[batch, seq]</c>.</param>
    /// <returns>A new model.</returns>
    public static ModelProto AppendMeanPoolingHead(
        ModelProto encoder, string hiddenOutput, LinearHead head, bool l2Normalize,
        string outputName = "logits", string attentionMaskInput = "attention_mask")
    {
        ArgumentNullException.ThrowIfNull(head);
        // The head's encoder deltas (if any) change weights only; the graph is the same.
        encoder = head.EncoderDeltas.Count > 0 ? LowRankDelta.Apply(encoder, head.EncoderDeltas) : encoder;
        return AppendMeanPoolingHead(encoder, hiddenOutput, head.HiddenWeight, head.HiddenBias, head.Weight, head.Bias, l2Normalize, outputName, attentionMaskInput, head.TokenWeight, head.TokenBias);
    }

    // With a token layer, every token state goes through tanh(state · tokenWeightᵀ + tokenBias) before the mean, and
    // the mean of those bounded units is not normalised (l2Normalize applies to a pooled sentence embedding only).
    private static ModelProto AppendMeanPoolingHead(
        ModelProto encoder, string hiddenOutput, float[,]? hiddenWeight, float[]? hiddenBias, float[,] weight, float[] bias, bool l2Normalize,
        string outputName, string attentionMaskInput, float[,]? tokenWeight = null, float[]? tokenBias = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        var classes = weight.GetLength(0);
        var hidden = tokenWeight?.GetLength(1) ?? hiddenWeight?.GetLength(1) ?? weight.GetLength(1);
        if (classes == 0 || bias.Length != classes)
        {
            throw new ArgumentException($"The head has {classes} weight rows but {bias.Length} biases.", nameof(bias));
        }

        if (tokenWeight is not null && (tokenBias?.Length != tokenWeight.GetLength(0) || (hiddenWeight?.GetLength(1) ?? weight.GetLength(1)) != tokenWeight.GetLength(0)))
        {
            throw new ArgumentException($"The token layer has {tokenWeight.GetLength(0)} units and {tokenBias?.Length} biases, which the next layer does not read.", nameof(tokenBias));
        }

        if (hiddenWeight is not null && (hiddenBias?.Length != hiddenWeight.GetLength(0) || weight.GetLength(1) != hiddenWeight.GetLength(0)))
        {
            throw new ArgumentException($"The hidden layer has {hiddenWeight.GetLength(0)} units, {hiddenBias?.Length} biases, and the output layer reads {weight.GetLength(1)}.", nameof(hiddenBias));
        }

        var builder = new Builder(encoder, hiddenOutput, attentionMaskInput, outputName);
        if (builder.HiddenSize is { } h && h != hidden)
        {
            throw new OnnxGraphException($"The head expects hidden size {hidden} but encoder output '{hiddenOutput}' has {h}.");
        }

        string features;
        if (tokenWeight is not null)
        {
            var units = tokenWeight.GetLength(0);
            var tw = builder.Emit.Floats("token_weight", Transposed(tokenWeight), hidden, units);
            var tb = builder.Emit.Floats("token_bias", tokenBias!, units);
            var tokens = builder.Emit.Op("Tanh", [builder.Emit.Add(builder.Emit.MatMul(hiddenOutput, tw), tb)]); // [batch, seq, units]
            features = builder.MeanPool(false, tokens);                              // [batch, units]
        }
        else
        {
            features = builder.MeanPool(l2Normalize);                                // [batch, hidden]
        }

        if (hiddenWeight is not null)
        {
            var units = hiddenWeight.GetLength(0);
            var hw = builder.Emit.Floats("hidden_weight", Transposed(hiddenWeight), hiddenWeight.GetLength(1), units);
            var hb = builder.Emit.Floats("hidden_bias", hiddenBias!, units);
            features = builder.Emit.Op("Tanh", [builder.Emit.Add(builder.Emit.MatMul(features, hw), hb)]); // [batch, units]
        }

        var w = builder.Emit.Floats("weight", Transposed(weight), weight.GetLength(1), classes);
        var b = builder.Emit.Floats("bias", bias, classes);
        var projected = builder.Emit.MatMul(features, w);                            // [batch, classes]
        var logits = builder.Emit.OpTo("Add", [projected, b], outputName);           // [batch, classes]
        return builder.Finish(logits, outputName, classes);
    }

    // Stored transposed, [in, out], so each layer is a plain MatMul.
    private static float[] Transposed(float[,] weight)
    {
        var (rows, cols) = (weight.GetLength(0), weight.GetLength(1));
        var t = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < cols; k++)
            {
                t[(k * rows) + r] = weight[r, k];
            }
        }

        return t;
    }

    private sealed class Builder
    {
        private readonly ModelProto _model;
        private readonly GraphProto _graph;
        private readonly string _hidden;
        private readonly string _mask;
        private readonly TensorShapeProto.Types.Dimension _batchDim;

        public Builder(ModelProto encoder, string hiddenOutput, string attentionMaskInput, string outputName)
        {
            ArgumentNullException.ThrowIfNull(encoder);
            ArgumentException.ThrowIfNullOrWhiteSpace(hiddenOutput);
            ArgumentException.ThrowIfNullOrWhiteSpace(outputName);
            _model = encoder.Clone();
            _graph = _model.Graph ?? throw new OnnxGraphException("The encoder has no graph.");
            _hidden = hiddenOutput;
            _mask = attentionMaskInput;

            var hiddenInfo = _graph.Output.FirstOrDefault(o => o.Name == hiddenOutput)
                ?? throw new OnnxGraphException(
                    $"The encoder has no output '{hiddenOutput}'. Outputs: {string.Join(", ", _graph.Output.Select(o => o.Name))}.");
            if (!_graph.Input.Any(i => i.Name == attentionMaskInput))
            {
                throw new OnnxGraphException($"The encoder has no input '{attentionMaskInput}'.");
            }

            var dims = hiddenInfo.Type?.TensorType?.Shape?.Dim;
            if (dims is { Count: > 0 } && dims.Count != 3)
            {
                throw new OnnxGraphException($"Encoder output '{hiddenOutput}' has rank {dims.Count}; expected [batch, seq, hidden].");
            }

            HiddenSize = dims is { Count: 3 } && dims[2].HasDimValue ? (int)dims[2].DimValue : null;
            _batchDim = dims is { Count: 3 } ? dims[0].Clone() : new TensorShapeProto.Types.Dimension { DimParam = "batch" };

            var opset = Opset.Supported(_model, "encoder");

            HashSet<string> names = [.. _graph.Node.SelectMany(n => n.Output), .. _graph.Initializer.Select(t => t.Name), .. _graph.Input.Select(i => i.Name)];
            if (names.Contains(outputName) && outputName != hiddenOutput)
            {
                throw new OnnxGraphException($"The encoder already has a tensor named '{outputName}'.");
            }

            // Every name the emitter makes starts with the prefix, so one check rules out collisions.
            if (names.FirstOrDefault(n => n.StartsWith(Prefix, StringComparison.Ordinal)) is { } taken)
            {
                throw new OnnxGraphException($"The encoder already has a tensor named '{taken}' (the prefix '{Prefix}' is reserved for the head).");
            }

            Emit = new GraphEmitter(_graph, opset, Prefix);
        }

        public int? HiddenSize { get; }

        /// <summary>Gets the emitter that appends the head's nodes and initializers.</summary>
        public GraphEmitter Emit { get; }

        /// <summary>Emits the pooling nodes over <paramref name="tokens"/> (default: the encoder's token states) and returns the pooled tensor <c>[batch, width]</c>.</summary>
        public string MeanPool(bool l2Normalize, string? tokens = null)
        {
            var e = Emit;
            // Mask branch: depends on the attention mask only, so it carries no gradient.
            var maskF = e.Op("Cast", [_mask], Attributes.Int("to", Tensors.Float));       // [batch, seq]
            var maskU = e.Unsqueeze(maskF, [-1]);                                         // [batch, seq, 1]
            var count = e.ReduceSum(maskU, [1], keepDims: false);                         // [batch, 1]
            // An all-zero mask would divide by zero; sentence-transformers clamps at 1e-9. Adding it is the same
            // in float32 for any count >= 1 and keeps the graph to ops every tool knows.
            var countSafe = e.Add(count, e.FloatScalar(1e-9f));                           // [batch, 1]

            // Token path: the only part the gradient flows through.
            var masked = e.Mul(tokens ?? _hidden, maskU);                                          // [batch, seq, hidden]
            var summed = e.ReduceSum(masked, [1], keepDims: false);                       // [batch, hidden]
            var pooled = e.Div(summed, countSafe);                                        // [batch, hidden]
            if (!l2Normalize)
            {
                return pooled;
            }

            // F.normalize(p=2, dim=1): x / max(||x||, 1e-12); the norm of a pooled BERT state is never near 0.
            var sumSq = e.ReduceSum(e.Mul(pooled, pooled), [1], keepDims: true);          // [batch, 1]
            var norm = e.Op("Sqrt", [sumSq]);                                             // [batch, 1]
            return e.Div(pooled, e.Add(norm, e.FloatScalar(1e-12f)));                     // [batch, hidden]
        }

        public ModelProto Finish(string output, string outputName, int? width)
        {
            if (output != outputName)
            {
                Emit.OpTo("Identity", [output], outputName);
            }

            var shape = new TensorShapeProto();
            shape.Dim.Add(_batchDim.Clone());
            shape.Dim.Add(width is { } w ? new TensorShapeProto.Types.Dimension { DimValue = w } : new TensorShapeProto.Types.Dimension { DimParam = "width" });
            _graph.Output.Clear();
            _graph.Output.Add(new ValueInfoProto
            {
                Name = outputName,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = Tensors.Float, Shape = shape } },
            });
            PruneDeadNodes(outputName);
            return _model;
        }

        // The encoder's other outputs (e.g. BERT's pooler) would still be computed on every run; drop every node and
        // initializer the new output does not need. Node order is kept, so the graph stays topologically sorted.
        private void PruneDeadNodes(string output)
        {
            var needed = new HashSet<string>(StringComparer.Ordinal) { output };
            var keep = new bool[_graph.Node.Count];
            for (var i = _graph.Node.Count - 1; i >= 0; i--)
            {
                var node = _graph.Node[i];
                if (node.Output.Any(needed.Contains))
                {
                    keep[i] = true;
                    needed.UnionWith(node.Input.Where(n => n.Length > 0));
                    needed.UnionWith(node.Attribute.Where(a => a.G is not null || a.Graphs.Count > 0)
                        .SelectMany(a => a.Graphs.Append(a.G!).Where(g => g is not null))
                        .SelectMany(g => g.Node.SelectMany(n => n.Input)));
                }
            }

            var nodes = _graph.Node.Where((_, i) => keep[i]).ToList();
            _graph.Node.Clear();
            _graph.Node.AddRange(nodes);
            var initializers = _graph.Initializer.Where(t => needed.Contains(t.Name)).ToList();
            _graph.Initializer.Clear();
            _graph.Initializer.AddRange(initializers);
            var valueInfo = _graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToList();
            _graph.ValueInfo.Clear();
            _graph.ValueInfo.AddRange(valueInfo);
        }
    }
}
