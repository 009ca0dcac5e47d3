using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Tests.Autodiff;
using BertIgGrpc.Engine.Tests.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;
using A = BertIgGrpc.Engine.Onnx.Attributes;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// An independent end-to-end check through ONNX Runtime and the generated gradient graph: for the tiny model
/// F_c(L) = sum_s mask_s sum_h W[h, c] L[s, h]^2 with the cut L at the word-embedding lookup, Integrated Gradients
/// has the closed form attr[s, h] = W[h, c] (x[s, h]^2 - b[s, h]^2), which Gauss-Legendre integrates exactly.
/// </summary>
public sealed class ClosedFormOnnxTests
{
    private const int Vocab = 30522, Hidden = 4, Classes = 2;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Explain_QuadraticModel_EqualsAnalyticIntegral(int target)
    {
        var rnd = new Random(11);
        var embeddings = GradientChecker.RandomFloats(rnd, Vocab * Hidden);
        var weight = GradientChecker.RandomFloats(rnd, Hidden * Classes);
        var model = new TestGraph()
            .DynamicInput("input_ids", Tensors.Int64, "batch", "seq").DynamicInput("attention_mask", Tensors.Int64, "batch", "seq")
            .Floats("E", embeddings, Vocab, Hidden).Floats("W", weight, Hidden, Classes)
            .Node("Gather", ["E", "input_ids"], ["emb"])                                    // [B, S, H]
            .Node("Mul", ["emb", "emb"], ["sq"])
            .Node("Cast", ["attention_mask"], ["maskf"], A.Int("to", Tensors.Float))           // [B, S]
            .Ints("axis_last", -1).Node("Unsqueeze", ["maskf", "axis_last"], ["mask3"])     // [B, S, 1]
            .Node("Mul", ["sq", "mask3"], ["masked"])
            .Ints("axis_seq", 1).Node("ReduceSum", ["masked", "axis_seq"], ["pooled"], A.Int("keepdims", 0)) // [B, H]
            .Node("MatMul", ["pooled", "W"], ["logits"])                                    // [B, C]
            .Output("logits").Build();
        var settings = new RuntimeSettings { ExecutionProvider = "cpu" };
        var runtime = OnnxAttributionRuntime.Create(model, CutDetector.WordEmbeddings, null, settings, NullLogger.Instance);
        Assert.Equal("emb", runtime.CutTensor);
        using var explainer = new ExplainerModel(
            new ModelDefinition { Name = "quadratic", ModelPath = "in-memory", VocabPath = MiniLmVocab.VocabPath, Labels = ["a", "b"] },
            MiniLmVocab.Tokenizer, runtime, "", settings);

        var explanation = await explainer.ExplainAsync(new ExplainRequestOptions { Text = "This movie is superb", TargetIndex = target, Steps = 50 });

        // ids [CLS] this movie is superb [SEP]; baseline keeps the specials and puts [PAD] (id 0) elsewhere.
        long[] ids = [101, 2023, 3185, 2003, 21688, 102];
        Assert.Equal(ids, explanation.Tokens.Select(t => (long)t.Id));
        for (var s = 0; s < ids.Length; s++)
        {
            var baselineId = s == 0 || s == ids.Length - 1 ? ids[s] : 0;
            double expected = 0;
            for (var h = 0; h < Hidden; h++)
            {
                double x = embeddings[ids[s] * Hidden + h], b = embeddings[baselineId * Hidden + h];
                expected += weight[h * Classes + target] * (x * x - b * b);
            }

            Assert.Equal(expected, explanation.Tokens[s].Attribution, 5);
        }

        Assert.True(Math.Abs(explanation.ConvergenceDelta) < 1e-5, $"delta {explanation.ConvergenceDelta}");
    }
}
