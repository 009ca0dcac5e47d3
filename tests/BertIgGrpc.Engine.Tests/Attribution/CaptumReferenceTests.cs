using System.Diagnostics;
using System.Text.Json;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using Xunit.Abstractions;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// End to end on ONNX Runtime (CPU): the MiniLM mean-pooling classifier explained by the engine against Captum 0.8.0's
/// LayerIntegratedGradients outputs for the same model, texts, baseline, method and steps.
/// </summary>
public sealed class CaptumReferenceTests : IClassFixture<CaptumReferenceTests.ModelFixture>
{
    private readonly ExplainerModel _model;
    private readonly ITestOutputHelper _output;

    public CaptumReferenceTests(ModelFixture fixture, ITestOutputHelper output)
    {
        _model = fixture.Model;
        _output = output;
    }

    public sealed class ModelFixture : IDisposable
    {
        public ExplainerModel Model { get; } = MiniLmClassifier.CreateExplainer();

        public void Dispose() => Model.Dispose();
    }

    private sealed record Reference(string Text, int[] Ids, int Target, double[] Attributions, double[] Normalized, double[] Logits, double[] BaselineLogits, double Delta);

    private static Reference Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", file)));
        var r = doc.RootElement;
        double[] Doubles(string name) => r.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return new Reference(r.GetProperty("text").GetString()!, r.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            r.GetProperty("target").GetInt32(), Doubles("attributions"), Doubles("attributions_normalized"), Doubles("logits"), Doubles("baseline_logits"),
            r.GetProperty("delta").GetDouble());
    }

    [Theory]
    [InlineData("text1_n50.json", IntegrationMethod.GaussLegendre)]
    [InlineData("text2_n50.json", IntegrationMethod.GaussLegendre)]
    [InlineData("text3_n50.json", IntegrationMethod.GaussLegendre)]
    [InlineData("text2_n50_trap.json", IntegrationMethod.RiemannTrapezoid)]
    public async Task Explain_MatchesCaptumLayerIntegratedGradients(string file, IntegrationMethod method)
    {
        var reference = Load(file);
        var stopwatch = Stopwatch.StartNew();
        var explanation = await _model.ExplainAsync(new ExplainRequestOptions { Text = reference.Text, Method = method, Steps = 50 });
        var deviation = reference.Attributions.Select((a, i) => Math.Abs(a - explanation.Tokens[i].Attribution)).Max() / reference.Attributions.Max(Math.Abs);
        _output.WriteLine($"{file}: {stopwatch.ElapsedMilliseconds} ms on {explanation.ExecutionProvider}, delta {explanation.ConvergenceDelta:E3} " +
            $"(Captum {reference.Delta:E3}), max |engine - Captum| / max |Captum| = {deviation:E2}");

        Assert.Equal(reference.Ids, explanation.Tokens.Select(t => t.Id));
        Assert.Equal(reference.Target, explanation.TargetIndex);
        Assert.Equal(reference.Logits[reference.Target], explanation.ScoreInput, 1e-3);
        Assert.Equal(reference.BaselineLogits[reference.Target], explanation.ScoreBaseline, 1e-3);
        var scale = reference.Attributions.Max(Math.Abs);
        for (var i = 0; i < reference.Attributions.Length; i++)
        {
            // Float32 on both sides: the engine stays within ~1e-6 of Captum relative to the largest attribution.
            Assert.True(Math.Abs(reference.Attributions[i] - explanation.Tokens[i].Attribution) <= 2e-5 * scale,
                $"token {i}: Captum {reference.Attributions[i]}, engine {explanation.Tokens[i].Attribution}");
            Assert.Equal(reference.Normalized[i], explanation.Tokens[i].AttributionNormalized, 2e-5);
        }

        Assert.Equal(0.0, explanation.Tokens[0].Attribution);
        Assert.Equal(0.0, explanation.Tokens[^1].Attribution);
        if (method == IntegrationMethod.GaussLegendre)
        {
            Assert.True(Math.Abs(explanation.ConvergenceDelta) < 1e-3 * Math.Abs(explanation.ScoreInput - explanation.ScoreBaseline));
        }
        else
        {
            // The trapezoid weights sum to 1 - 1/n, so about 2% of F(x) - F(x') is missing, as in Captum.
            Assert.Equal(reference.Delta, explanation.ConvergenceDelta, 1e-3);
        }
    }

    [Fact]
    public async Task Explain_50And300Steps_AgreeToOnePerMille()
    {
        var reference = Load("text2_n300.json");
        var coarse = await _model.ExplainAsync(new ExplainRequestOptions { Text = reference.Text, Steps = 50 });
        var fine = await _model.ExplainAsync(new ExplainRequestOptions { Text = reference.Text, Steps = 300, InternalBatchSize = 50 });
        var scale = fine.Tokens.Max(t => Math.Abs(t.Attribution));
        for (var i = 0; i < fine.Tokens.Count; i++)
        {
            Assert.True(Math.Abs(coarse.Tokens[i].Attribution - fine.Tokens[i].Attribution) <= 1e-3 * scale);
            Assert.True(Math.Abs(reference.Attributions[i] - fine.Tokens[i].Attribution) <= 2e-5 * scale);
        }
    }

    [Fact]
    public async Task Explain_ThreeTexts_SixtyRowsPerRun_MatchCaptum()
    {
        var references = new[] { "text1_n50.json", "text2_n50.json", "text3_n50.json" }.Select(Load).ToArray();
        var explanations = new List<Explanation>();
        foreach (var reference in references)
        {
            explanations.Add(await _model.ExplainAsync(new ExplainRequestOptions { Text = reference.Text, InternalBatchSize = 60 }));
        }

        for (var t = 0; t < references.Length; t++)
        {
            var scale = references[t].Attributions.Max(Math.Abs);
            for (var i = 0; i < references[t].Attributions.Length; i++)
            {
                Assert.True(Math.Abs(references[t].Attributions[i] - explanations[t].Tokens[i].Attribution) <= 2e-5 * scale,
                    $"text {t} token {i}: Captum {references[t].Attributions[i]}, engine {explanations[t].Tokens[i].Attribution}");
            }
        }
    }

    [Fact]
    public async Task Explain_ConcurrentCallsOnOneModel_SameAsCaptum()
    {
        var references = new[] { "text1_n50.json", "text2_n50.json", "text3_n50.json", "text1_n50.json" }.Select(Load).ToArray();
        var explanations = await Task.WhenAll(references.Select(r => _model.ExplainAsync(new ExplainRequestOptions { Text = r.Text, InternalBatchSize = 10 })));
        for (var t = 0; t < references.Length; t++)
        {
            var scale = references[t].Attributions.Max(Math.Abs);
            for (var i = 0; i < references[t].Attributions.Length; i++)
            {
                Assert.True(Math.Abs(references[t].Attributions[i] - explanations[t].Tokens[i].Attribution) <= 2e-5 * scale);
            }
        }

        Assert.Equal(explanations[0].Tokens.Select(x => x.Attribution), explanations[3].Tokens.Select(x => x.Attribution));
    }

    [Fact]
    public async Task Predict_MatchesCaptumLogits()
    {
        var references = new[] { "text1_n50.json", "text2_n50.json", "text3_n50.json" }.Select(Load).ToArray();
        var predictions = await _model.PredictAsync(references.Select(r => r.Text).ToArray());
        for (var t = 0; t < references.Length; t++)
        {
            Assert.Equal(references[t].Logits[0], predictions[t].Logits[0], 1e-3);
            Assert.Equal(references[t].Logits[1], predictions[t].Logits[1], 1e-3);
        }
    }

    [Fact]
    public async Task Load_FromFiles_HashesModelAndExplainsLikeCaptum()
    {
        var reference = Load("text1_n50.json");
        var path = Path.Combine(Path.GetTempPath(), $"bertig-minilm-head-{Environment.ProcessId}.onnx");
        Onnx.OnnxModelFile.Save(MiniLmClassifier.Model, path);
        try
        {
            var definition = new ModelDefinition { Name = "from-files", ModelPath = path, VocabPath = Tokenization.MiniLmVocab.VocabPath, Labels = ["negative", "positive"] };
            using var model = ExplainerModel.Load(definition, new RuntimeSettings { ExecutionProvider = "cpu" }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            using (var stream = File.OpenRead(path))
            {
                Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)), model.Sha256);
            }

            Assert.Equal("CPUExecutionProvider", model.ExecutionProvider);
            Assert.Equal("146", model.CutTensor);
            Assert.Equal(384, model.HiddenSize);
            var explanation = await model.ExplainAsync(new ExplainRequestOptions { Text = reference.Text });
            var scale = reference.Attributions.Max(Math.Abs);
            for (var i = 0; i < reference.Attributions.Length; i++)
            {
                Assert.True(Math.Abs(reference.Attributions[i] - explanation.Tokens[i].Attribution) <= 2e-5 * scale);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
