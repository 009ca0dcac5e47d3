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

    public static ExplainerModel CreateExplainer(BertIgLimitsOptions? limits = null)
    {
        var settings = new RuntimeSettings { ExecutionProvider = "cpu", Limits = limits ?? new BertIgLimitsOptions() };
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

    // Mean pooling without normalisation, then head.json: the classifier Captum's reference vectors were computed on.
    private static ModelProto Build()
    {
        var head = LinearHead.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "reference", "head.json")));
        return ClassifierHeadComposer.AppendMeanPoolingHead(
            Models.MiniLm.Encoder, "last_hidden_state", head.Weight, head.Bias, l2Normalize: false);
    }
}
