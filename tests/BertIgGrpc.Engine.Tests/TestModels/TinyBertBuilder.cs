using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Tests.TestModels;

/// <summary>
/// Builds a tiny BERT-shaped classifier as a Hugging Face export would look: word + position + token-type embeddings
/// (Gather), LayerNorm written out as ReduceMean/Sub/Pow/Sqrt/Div/Mul/Add, one single-head self-attention block with
/// the additive attention mask, a second LayerNorm, mean pooling over the mask and a linear layer to <c>logits</c>.
/// Weights are random from a fixed seed, so the same settings give the same bytes. Settings can break the model in the
/// ways start-up validation must catch (a missing input, a wrong output rank, ...).
/// </summary>
public sealed class TinyBertBuilder
{
    /// <summary>The vocabulary, one token per line, in id order.</summary>
    public static readonly string[] Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "the", "a", "this", "it", "is", "was", "movie", "film", "not", "very",
        "good", "great", "superb", "bad", "awful", "boring", "fun", "plot", "acting",
        ",", ".", "!", "##s", "##ly",
    ];

    /// <summary>Gets or sets the hidden size. Defaults to 8.</summary>
    public int Hidden { get; set; } = 8;

    /// <summary>Gets or sets the number of classes. Defaults to 2.</summary>
    public int Classes { get; set; } = 2;

    /// <summary>Gets or sets the largest sequence length (position embeddings). Defaults to 32.</summary>
    public int MaxPositions { get; set; } = 32;

    /// <summary>Gets or sets the weight seed. Defaults to 7.</summary>
    public int Seed { get; set; } = 7;

    /// <summary>Gets or sets the ONNX opset. Defaults to 14 (what <c>torch.onnx.export</c> commonly writes).</summary>
    public int Opset { get; set; } = 14;

    /// <summary>Gets or sets whether the model takes <c>token_type_ids</c>. Defaults to true.</summary>
    public bool TokenTypeIds { get; set; } = true;

    /// <summary>Gets or sets whether the model takes <c>attention_mask</c> (false builds an invalid classifier). Defaults to true.</summary>
    public bool AttentionMask { get; set; } = true;

    /// <summary>Gets or sets whether the output is the token states <c>[batch, seq, hidden]</c> instead of logits (invalid). Defaults to false.</summary>
    public bool OutputTokenStates { get; set; }

    /// <summary>Gets or sets the output name. Defaults to <c>logits</c>.</summary>
    public string OutputName { get; set; } = "logits";

    /// <summary>Gets or sets an op type to put on the path to the logits without a gradient rule (e.g. <c>Sin</c>); null adds none.</summary>
    public string? UnsupportedOp { get; set; }

    /// <summary>Builds the model.</summary>
    public ModelProto Build()
    {
        var random = new Random(Seed);
        var g = new GraphProto { Name = "tiny_bert" };
        var b = new GraphBuilder(g, random);
        var h = Hidden;

        g.Input.Add(IntInput("input_ids"));
        // Without a real mask input the model still needs one internally; all ones then.
        if (AttentionMask)
        {
            g.Input.Add(IntInput("attention_mask"));
        }

        if (TokenTypeIds)
        {
            g.Input.Add(IntInput("token_type_ids"));
        }

        var mask = AttentionMask ? "attention_mask" : b.Node("Mul", ["input_ids", b.Int64("zero_l", [], [0])], "mask_zero");
        if (!AttentionMask)
        {
            mask = b.Node("Add", [mask, b.Int64("one_l", [], [1])], "mask_ones");
        }

        // Embeddings: [batch, seq, hidden].
        var word = b.Node("Gather", [b.Random("embeddings.word_embeddings.weight", [Vocabulary.Length, h], 0.5f), "input_ids"], "word_embeddings");
        var seqLen = b.Node("Slice", [b.Node("Shape", ["input_ids"], "ids_shape"), b.Int64("one", [1], [1]), b.Int64("two", [1], [2])], "seq_len"); // [1]
        var positions = b.Node("Slice", [b.Int64("embeddings.position_ids", [1, MaxPositions], [.. Enumerable.Range(0, MaxPositions).Select(i => (long)i)]),
            b.Int64("zero", [1], [0]), seqLen, b.Int64("one_axis", [1], [1])], "position_ids");                                               // [1, seq]
        var position = b.Node("Gather", [b.Random("embeddings.position_embeddings.weight", [MaxPositions, h], 0.5f), positions], "position_embeddings");
        var sum = b.Node("Add", [word, position], "embeddings_sum");
        if (TokenTypeIds)
        {
            var type = b.Node("Gather", [b.Random("embeddings.token_type_embeddings.weight", [2, h], 0.5f), "token_type_ids"], "token_type_embeddings");
            sum = b.Node("Add", [sum, type], "embeddings_sum_types");
        }

        var embeddings = LayerNorm(b, sum, "embeddings.LayerNorm");

        // Single-head self-attention.
        var q = Linear(b, embeddings, h, h, "attention.query");
        var k = Linear(b, embeddings, h, h, "attention.key");
        var v = Linear(b, embeddings, h, h, "attention.value");
        var kT = b.Node("Transpose", [k], "key_t", [Ints("perm", 0, 2, 1)]);                                  // [batch, hidden, seq]
        var scores = b.Node("Div", [b.Node("MatMul", [q, kT], "scores_raw"), b.Float("sqrt_h", [], [MathF.Sqrt(h)])], "scores"); // [batch, seq, seq]
        var maskF = b.Node("Cast", [mask], "mask_float", [Int("to", 1)]);                                      // [batch, seq]
        var extended = b.Node("Mul", [b.Node("Sub", [b.Float("one_f", [], [1f]), maskF], "mask_inverted"), b.Float("neg_big", [], [-10000f])], "mask_additive");
        var extendedU = b.Node("Unsqueeze", [extended, b.Int64("axis_1", [1], [1])], "mask_additive_u");      // [batch, 1, seq]
        var probs = b.Node("Softmax", [b.Node("Add", [scores, extendedU], "scores_masked")], "attention_probs", [Int("axis", -1)]);
        var context = b.Node("MatMul", [probs, v], "context");                                                // [batch, seq, hidden]
        var attended = Linear(b, context, h, h, "attention.output.dense");
        var hiddenStates = LayerNorm(b, b.Node("Add", [attended, embeddings], "residual"), "attention.output.LayerNorm");
        if (UnsupportedOp is not null)
        {
            hiddenStates = b.Node(UnsupportedOp, [hiddenStates], "unsupported");
        }

        var encoderOutput = OutputTokenStates ? OutputName : "last_hidden_state";
        b.Node("Identity", [hiddenStates], "last_hidden_state_id", output: encoderOutput);
        g.Output.Add(new ValueInfoProto
        {
            Name = encoderOutput,
            Type = FloatType(new TensorShapeProto.Types.Dimension { DimParam = "batch" }, new TensorShapeProto.Types.Dimension { DimParam = "sequence" }, new TensorShapeProto.Types.Dimension { DimValue = h }),
        });

        var model = new ModelProto { IrVersion = 8, ProducerName = "BertIgGrpc.Engine.Tests.TinyBertBuilder", Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (OutputTokenStates || !AttentionMask)
        {
            return model;
        }

        // Mean pooling and the linear head, the same way the default model gets its head.
        var weight = new float[Classes, h];
        for (var c = 0; c < Classes; c++)
        {
            for (var j = 0; j < h; j++)
            {
                weight[c, j] = (float)((random.NextDouble() * 2) - 1);
            }
        }

        var bias = Enumerable.Range(0, Classes).Select(_ => (float)((random.NextDouble() * 0.2) - 0.1)).ToArray();
        return ClassifierHeadComposer.AppendMeanPoolingHead(model, "last_hidden_state", weight, bias, l2Normalize: false, outputName: OutputName);
    }

    /// <summary>Builds the model and writes <c>model.onnx</c> and <c>vocab.txt</c> into <paramref name="directory"/>.</summary>
    /// <returns>The two paths.</returns>
    public (string ModelPath, string VocabPath) WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        var modelPath = Path.Combine(directory, "model.onnx");
        var vocabPath = Path.Combine(directory, "vocab.txt");
        File.WriteAllBytes(modelPath, Build().ToByteArray());
        File.WriteAllLines(vocabPath, Vocabulary);
        return (modelPath, vocabPath);
    }

    private string LayerNorm(GraphBuilder b, string x, string name)
    {
        var axes = Opset >= 18 ? null : Ints("axes", -1);
        string Mean(string input, string suffix) => Opset >= 18
            ? b.Node("ReduceMean", [input, b.Int64($"{name}.{suffix}_axes", [1], [-1])], $"{name}.{suffix}")
            : b.Node("ReduceMean", [input], $"{name}.{suffix}", [axes!]);
        var mean = Mean(x, "mean");                                                        // [batch, seq, 1]
        var centered = b.Node("Sub", [x, mean], $"{name}.centered");                       // [batch, seq, hidden]
        var variance = Mean(b.Node("Pow", [centered, b.Float($"{name}.two", [], [2f])], $"{name}.squared"), "variance");
        var std = b.Node("Sqrt", [b.Node("Add", [variance, b.Float($"{name}.eps", [], [1e-12f])], $"{name}.variance_eps")], $"{name}.std");
        var normalized = b.Node("Div", [centered, std], $"{name}.normalized");
        var scaled = b.Node("Mul", [normalized, b.Random($"{name}.weight", [Hidden], 0.2f, 1f)], $"{name}.scaled");
        return b.Node("Add", [scaled, b.Random($"{name}.bias", [Hidden], 0.1f)], $"{name}.output");
    }

    private static string Linear(GraphBuilder b, string x, int inputs, int outputs, string name) =>
        b.Node("Add", [b.Node("MatMul", [x, b.Random($"{name}.weight", [inputs, outputs], 1f / MathF.Sqrt(inputs))], $"{name}.matmul"),
            b.Random($"{name}.bias", [outputs], 0.1f)], $"{name}.output");

    private static ValueInfoProto IntInput(string name) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = 7,
                Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "batch" }, new TensorShapeProto.Types.Dimension { DimParam = "sequence" } } },
            },
        },
    };

    private static TypeProto FloatType(params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } };
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private sealed class GraphBuilder(GraphProto graph, Random random)
    {
        public string Node(string op, string[] inputs, string name, AttributeProto[]? attrs = null, string? output = null)
        {
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.AddRange(inputs);
            node.Output.Add(output ?? name);
            if (attrs is not null)
            {
                node.Attribute.AddRange(attrs);
            }

            graph.Node.Add(node);
            return node.Output[0];
        }

        public string Float(string name, long[] dims, float[] values)
        {
            var t = new TensorProto { Name = name, DataType = 1 };
            t.Dims.AddRange(dims);
            t.FloatData.AddRange(values);
            graph.Initializer.Add(t);
            return name;
        }

        public string Int64(string name, long[] dims, long[] values)
        {
            var t = new TensorProto { Name = name, DataType = 7 };
            t.Dims.AddRange(dims);
            t.Int64Data.AddRange(values);
            graph.Initializer.Add(t);
            return name;
        }

        /// <summary>Uniform in [center - scale, center + scale].</summary>
        public string Random(string name, long[] dims, float scale, float center = 0f)
        {
            var count = (int)dims.Aggregate(1L, (a, d) => a * d);
            return Float(name, dims, [.. Enumerable.Range(0, count).Select(_ => center + (scale * (float)((random.NextDouble() * 2) - 1)))]);
        }
    }
}
