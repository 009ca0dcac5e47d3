using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>A two-class <see cref="ExplainerModel"/> on the MiniLM vocabulary over a <see cref="CubicTestRuntime"/> (no ONNX Runtime).</summary>
internal static class CubicTestModel
{
    /// <summary>Creates the model with <paramref name="settings"/>; <paramref name="bytesPerToken"/> feeds the memory estimate.</summary>
    public static (ExplainerModel Model, CubicTestRuntime Runtime) Create(RuntimeSettings settings, long bytesPerToken = 0, int maxTokens = 512, string provider = "TestExecutionProvider")
    {
        var runtime = new CubicTestRuntime(classes: 2) { BytesPerToken = bytesPerToken, ExecutionProvider = provider };
        var definition = new ModelDefinition
        {
            Name = "test-model",
            ModelPath = "unused.onnx",
            VocabPath = MiniLmVocab.VocabPath,
            Labels = ["negative", "positive"],
            MaxTokens = maxTokens,
        };
        return (new ExplainerModel(definition, MiniLmVocab.Tokenizer, runtime, "abc", settings), runtime);
    }
}
