using BertIgGrpc.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ExplainTests(ServerFixture server)
{
    private const string PositiveText = "What a wonderful, heartwarming film. I loved every minute of it.";
    private const string NegativeText = "A dull, boring mess. I hated it and wanted my money back.";

    [Fact]
    public async Task Explain_Stream_ProgressInOrderThenOneResult()
    {
        var request = new ExplainRequest { Text = PositiveText, NSteps = 20, InternalBatchSize = 5 };

        using var call = server.Client.Explain(request);
        var events = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.True(events.Count >= 2, $"expected progress events before the result, got {events.Count} event(s)");
        var progress = events[..^1];
        Assert.All(progress, e => Assert.Equal(ExplainResponse.EventOneofCase.Progress, e.EventCase));
        Assert.Equal(ExplainResponse.EventOneofCase.Result, events[^1].EventCase);

        var result = events[^1].Result;
        for (var i = 1; i < progress.Count; i++)
        {
            Assert.True(progress[i].Progress.StepsDone > progress[i - 1].Progress.StepsDone, "progress must arrive in order");
        }

        Assert.All(progress, e =>
        {
            Assert.InRange(e.Progress.StepsDone, 1, e.Progress.StepsTotal);
            Assert.Equal(result.Tokens.Count, e.Progress.Tokens.Count);
        });
        Assert.Equal(result.NSteps, progress[^1].Progress.StepsDone);

        Assert.Equal(ServerFixture.DefaultModel, result.Model);
        Assert.Equal(20, result.NSteps);
        Assert.Equal(IntegrationMethod.GaussLegendre, result.Method);
        Assert.Equal(Baseline.Pad, result.Baseline);
        Assert.Equal("[CLS]", result.Tokens[0].Token);
        Assert.Equal("positive", result.Prediction.Label);
        Assert.Equal(result.Prediction.Label, result.TargetLabel); // unset target explains the predicted class
        Assert.False(string.IsNullOrEmpty(result.ExecutionProvider));
        Assert.NotEmpty(result.Words);
    }

    [Fact]
    public async Task ExplainUnary_SameRequest_EqualsStreamResult()
    {
        var request = new ExplainRequest { Text = NegativeText, NSteps = 16, Method = IntegrationMethod.RiemannTrapezoid, TargetLabel = "negative" };

        using var call = server.Client.Explain(request);
        var streamed = (await call.ResponseStream.ReadAllAsync().LastAsync()).Result;
        // The same fields and numbers: ExplainUnaryRequest reads the streaming request's bytes as itself.
        var unary = (await server.Client.ExplainUnaryAsync(ExplainUnaryRequest.Parser.ParseFrom(request.ToByteArray()))).Result;

        // Wall time is the only field allowed to differ between two runs of the same request.
        streamed.ElapsedMs = 0;
        unary.ElapsedMs = 0;
        Assert.Equal(streamed, unary);
        Assert.Equal("negative", unary.TargetLabel);
        Assert.Equal(IntegrationMethod.RiemannTrapezoid, unary.Method);
    }

    [Fact]
    public async Task Predict_TwoTexts_ClassifiesEachInOrder()
    {
        var response = await server.Client.PredictAsync(new PredictRequest { Texts = { PositiveText, NegativeText } });

        Assert.Equal(ServerFixture.DefaultModel, response.Model);
        Assert.Equal(2, response.Predictions.Count);
        Assert.Equal("positive", response.Predictions[0].Label);
        Assert.Equal("negative", response.Predictions[1].Label);
        Assert.All(response.Predictions, p =>
        {
            Assert.Equal(2, p.Logits.Count);
            Assert.Equal(1.0, p.Probabilities.Sum(), 4);
            Assert.Equal(p.Probability, p.Probabilities[p.Index], 5);
        });
    }

    [Fact]
    public async Task Predict_SameText_MatchesExplainPrediction()
    {
        var predicted = (await server.Client.PredictAsync(new PredictRequest { Texts = { PositiveText } })).Predictions[0];
        var explained = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = PositiveText, NSteps = 2 })).Result;

        Assert.Equal(explained.Prediction.Label, predicted.Label);
        Assert.Equal(explained.Prediction.Probability, predicted.Probability, 4);
    }

    [Fact]
    public async Task Predict_64KiBTextWithTruncate_IsAccepted()
    {
        var text = string.Concat(Enumerable.Repeat("a truly great movie ", 64 * 1024 / 20 + 1));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(text) >= 64 * 1024);

        var response = await server.Client.PredictAsync(new PredictRequest { Texts = { text }, Truncate = true });

        Assert.Single(response.Predictions);
    }

    [Fact]
    public async Task ListModels_Default_ReportsTheDefaultModel()
    {
        var response = await server.Client.ListModelsAsync(new ListModelsRequest());

        var model = Assert.Single(response.Models, m => m.IsDefault);
        Assert.Equal(ServerFixture.DefaultModel, model.Name);
        Assert.Equal(["negative", "positive"], model.Labels);
        Assert.True(model.MaxTokens > 0);
        Assert.Equal(64, model.Sha256.Length);
        Assert.False(string.IsNullOrEmpty(model.CutTensor));
        Assert.True(model.HiddenSize > 0);
    }

    [Fact]
    public async Task ExplainUnary_TextOverTokenLimitWithTruncate_ReturnsTruncatedResult()
    {
        var maxTokens = (await server.Client.ListModelsAsync(new ListModelsRequest())).Models.Single(m => m.IsDefault).MaxTokens;
        var text = string.Join(' ', Enumerable.Repeat("good", maxTokens * 2));

        var result = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = text, NSteps = 1, Truncate = true })).Result;

        Assert.True(result.Truncated);
        Assert.Equal(maxTokens, result.Tokens.Count);
    }
}
