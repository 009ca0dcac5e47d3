using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Engine.Tests.Attribution;

public class ExplainerModelTests
{
    private static readonly string[] Labels = ["negative", "positive"];

    private static (ExplainerModel Model, CubicTestRuntime Runtime) Create(int maxTokens = 512, int defaultBatch = 25)
    {
        var runtime = new CubicTestRuntime(classes: 2);
        var definition = new ModelDefinition
        {
            Name = "test-model",
            ModelPath = "unused.onnx",
            VocabPath = MiniLmVocab.VocabPath,
            Labels = Labels,
            MaxTokens = maxTokens,
        };
        var model = new ExplainerModel(definition, MiniLmVocab.Tokenizer, runtime, "abc123", new RuntimeSettings { DefaultInternalBatchSize = defaultBatch });
        return (model, runtime);
    }

    private static ExplainRequestOptions Request(string text = "A noisy, hideous, and viciously cumbersome movie") => new() { Text = text };

    [Fact]
    public async Task ExplainAsync_DefaultRequest_ExplainsPredictedClassWithTokensAndWords()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Request());

        Assert.Equal(explanation.Prediction.Index, explanation.TargetIndex);
        Assert.Equal(Labels[explanation.TargetIndex], explanation.TargetLabel);
        Assert.Equal(14, explanation.Tokens.Count);
        Assert.Equal("vicious", explanation.Tokens[7].Token);
        Assert.Equal(0.0, explanation.Tokens[0].Attribution);
        Assert.True(explanation.Tokens[0].Special);
        Assert.Equal(1.0, explanation.Tokens.Sum(t => t.AttributionNormalized * t.AttributionNormalized), 1e-12);
        Assert.Equal(explanation.AttributionSum, explanation.Tokens.Sum(t => t.Attribution), 1e-9);
        Assert.Equal(explanation.AttributionSum - (explanation.ScoreInput - explanation.ScoreBaseline), explanation.ConvergenceDelta, 1e-12);
        Assert.Equal(50, explanation.Steps);
        Assert.Equal(IntegrationMethod.GaussLegendre, explanation.Method);
        Assert.Equal(BaselineKind.Pad, explanation.Baseline);
        Assert.Equal("test-model", explanation.Model);
        Assert.Equal("TestExecutionProvider", explanation.ExecutionProvider);
        Assert.False(explanation.Truncated);
    }

    [Fact]
    public async Task ExplainAsync_Words_JoinPiecesWithOriginalSpansAndSummedAttributions()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Request());
        // [CLS] A noisy , hideous , and viciously cumbersome movie [SEP]
        Assert.Equal(["[CLS]", "A", "noisy", ",", "hideous", ",", "and", "viciously", "cumbersome", "movie", "[SEP]"], explanation.Words.Select(w => w.Token));
        var viciously = explanation.Words[7];
        Assert.Equal((22, 31), (viciously.Start, viciously.End));
        Assert.Equal(explanation.Tokens[7].Attribution + explanation.Tokens[8].Attribution, viciously.Attribution, 1e-12);
        Assert.Equal(13925, viciously.Id);
        var cumbersome = explanation.Words[8];
        Assert.Equal(explanation.Tokens[9].Attribution + explanation.Tokens[10].Attribution + explanation.Tokens[11].Attribution, cumbersome.Attribution, 1e-12);
        Assert.Equal(1.0, explanation.Words.Sum(w => w.AttributionNormalized * w.AttributionNormalized), 1e-12);
    }

    [Fact]
    public async Task ExplainAsync_TargetLabel_ResolvesIgnoringCase()
    {
        var (model, _) = Create();
        Assert.Equal(0, (await model.ExplainAsync(Request() with { TargetLabel = "negative", Steps = 4 })).TargetIndex);
        Assert.Equal(1, (await model.ExplainAsync(Request() with { TargetLabel = "Positive", Steps = 4 })).TargetIndex);
        Assert.Equal(1, (await model.ExplainAsync(Request() with { TargetIndex = 1, Steps = 4 })).TargetIndex);
    }

    [Fact]
    public async Task ExplainAsync_UnknownLabel_InvalidTargetLabelListingLabels()
    {
        var (model, _) = Create();
        var ex = await Assert.ThrowsAsync<InvalidExplainRequestException>(() => model.ExplainAsync(Request() with { TargetLabel = "neutral" }));
        Assert.Equal("target_label", ex.Field);
        Assert.Contains("negative, positive", ex.Message);
    }

    [Fact]
    public async Task ExplainAsync_IndexOutOfRange_InvalidTargetIndexWithRange()
    {
        var (model, _) = Create();
        var ex = await Assert.ThrowsAsync<InvalidExplainRequestException>(() => model.ExplainAsync(Request() with { TargetIndex = 2 }));
        Assert.Equal("target_index", ex.Field);
        Assert.Contains("0 to 1", ex.Message);
    }

    [Theory]
    [InlineData("", null, 50, 0.0, "text")]
    [InlineData("   ", null, 50, 0.0, "text")]
    [InlineData("ok", IntegrationMethod.RiemannTrapezoid, 1, 0.0, "n_steps")]
    [InlineData("ok", null, 0, 0.0, "n_steps")]
    [InlineData("ok", null, 50, 1.0, "tolerance")]
    [InlineData("ok", null, 50, -0.1, "tolerance")]
    public async Task ExplainAsync_BadOptions_InvalidRequestNamingField(string text, IntegrationMethod? method, int steps, double tolerance, string field)
    {
        var (model, runtime) = Create();
        var request = new ExplainRequestOptions { Text = text, Steps = steps, Tolerance = tolerance, Method = method ?? IntegrationMethod.GaussLegendre };
        var ex = await Assert.ThrowsAsync<InvalidExplainRequestException>(() => model.ExplainAsync(request));
        Assert.Equal(field, ex.Field);
        Assert.Equal(0, runtime.ForwardCalls);
    }

    [Fact]
    public async Task ExplainAsync_OverModelLimit_RejectedUnlessTruncate()
    {
        var (model, _) = Create(maxTokens: 8);
        var ex = await Assert.ThrowsAsync<InvalidExplainRequestException>(() => model.ExplainAsync(Request()));
        Assert.Equal("text", ex.Field);
        Assert.Contains("limit of 8", ex.Message);

        var explanation = await model.ExplainAsync(Request() with { Truncate = true, Steps = 4 });
        Assert.True(explanation.Truncated);
        Assert.Equal(8, explanation.Tokens.Count);
    }

    [Fact]
    public async Task ExplainAsync_Progress_OneEventPerRunWithPartialTokens()
    {
        var (model, _) = Create();
        var events = new List<ExplainProgress>();
        var explanation = await model.ExplainAsync(Request() with { InternalBatchSize = 10 }, new InlineProgress(events.Add));
        Assert.Equal([10, 20, 30, 40, 50], events.Select(e => e.StepsDone));
        Assert.All(events, e => Assert.Equal(14, e.PartialTokens.Count));
        Assert.Equal(explanation.Tokens.Select(t => t.Attribution), events[^1].PartialTokens.Select(t => t.Attribution));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Elapsed <= p.Second.Elapsed));
    }

    [Fact]
    public async Task ExplainAsync_DefaultBatchFromSettings_AppliesWhenRequestSaysZero()
    {
        var (model, runtime) = Create(defaultBatch: 20);
        await model.ExplainAsync(Request());
        Assert.Equal([20, 20, 10], runtime.GradientRows.OrderDescending()); // concurrent runs arrive in either order
    }

    [Fact]
    public async Task ExplainAsync_Cancelled_ThrowsOperationCanceled()
    {
        var (model, _) = Create();
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress(_ => cts.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => model.ExplainAsync(Request() with { InternalBatchSize = 5 }, progress, cts.Token));
    }

    [Fact]
    public async Task ExplainAsync_TextPair_TokensCarryTheirSegments()
    {
        var (model, _) = Create();
        var explanation = await model.ExplainAsync(Request("great") with { TextPair = "film", Method = IntegrationMethod.RiemannMiddle, Steps = 30 });
        Assert.Equal([0, 0, 0, 1, 1], explanation.Tokens.Select(t => t.Segment));
    }

    [Fact]
    public async Task Predict_PaddedBatchesOf32_SoftmaxOfLogits()
    {
        var (model, runtime) = Create();
        var texts = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? "This movie is superb" : "A noisy, hideous, and viciously cumbersome movie").ToArray();
        var predictions = await model.PredictAsync(texts);
        Assert.Equal(40, predictions.Count);
        Assert.Equal(2, runtime.ForwardCalls);
        foreach (var prediction in predictions)
        {
            Assert.Equal(1.0, prediction.Probabilities.Sum(p => (double)p), 1e-6);
            Assert.Equal(prediction.Probabilities.Max(), (float)prediction.Probability, 1e-6);
            var expected = Math.Exp(prediction.Logits[prediction.Index]) / prediction.Logits.Sum(l => Math.Exp(l));
            Assert.Equal(expected, prediction.Probability, 1e-6);
            Assert.Equal(Labels[prediction.Index], prediction.Label);
        }

        // Padding must not change a text's logits: compare with the text run alone.
        var alone = (await model.PredictAsync(["This movie is superb"]))[0];
        Assert.Equal(alone.Logits, predictions[0].Logits);
    }

    [Fact]
    public async Task Predict_OverLimit_InvalidTextsWithIndex()
    {
        var (model, _) = Create(maxTokens: 6);
        var ex = await Assert.ThrowsAsync<InvalidExplainRequestException>(() => model.PredictAsync(["fine", "A noisy, hideous, and viciously cumbersome movie"]));
        Assert.Equal("texts", ex.Field);
        Assert.Contains("texts[1]", ex.Message);
        Assert.Equal(2, (await model.PredictAsync(["fine", "A noisy, hideous, and viciously cumbersome movie"], truncate: true)).Count);
    }

    [Fact]
    public async Task Dispose_DisposesRuntimeOnceAndRejectsLaterCalls()
    {
        var (model, runtime) = Create();
        model.Dispose();
        model.Dispose();
        Assert.True(runtime.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => model.ExplainAsync(Request()));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => model.PredictAsync(["x"]));
    }

    [Fact]
    public void Constructor_LabelCountMismatch_ModelLoadException()
    {
        var definition = new ModelDefinition { Name = "m", ModelPath = "m.onnx", VocabPath = "v.txt", Labels = ["a", "b", "c", "d"] };
        var ex = Assert.Throws<ModelLoadException>(() => new ExplainerModel(definition, MiniLmVocab.Tokenizer, new CubicTestRuntime(classes: 2), "", new RuntimeSettings()));
        Assert.Contains("4 labels", ex.Message);
    }

    [Fact]
    public void Properties_ComeFromDefinitionAndRuntime()
    {
        var (model, _) = Create();
        Assert.Equal("test-model", model.Name);
        Assert.Equal(Labels, model.Labels);
        Assert.Equal(512, model.MaxTokens);
        Assert.Equal("test_cut", model.CutTensor);
        Assert.Equal("abc123", model.Sha256);
        Assert.Equal(8, model.HiddenSize);
    }

    [Fact]
    public void Load_MissingVocabulary_ModelLoadExceptionNamingModel()
    {
        var definition = new ModelDefinition { Name = "broken", ModelPath = "nope.onnx", VocabPath = Path.Combine(Path.GetTempPath(), "missing-vocab.txt"), Labels = ["a"] };
        var ex = Assert.Throws<ModelLoadException>(() => ExplainerModel.Load(definition, new RuntimeSettings(), NullLogger.Instance));
        Assert.Equal("broken", ex.Model);
    }

    private sealed class InlineProgress(Action<ExplainProgress> action) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => action(value);
    }
}
