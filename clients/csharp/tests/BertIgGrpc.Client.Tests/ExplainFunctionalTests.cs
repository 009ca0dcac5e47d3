using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Client.Tests;

/// <summary>The client against the real server and its default model.</summary>
[Collection(RealServerCollection.Name)]
public sealed class ExplainFunctionalTests(RealServer server)
{
    [Fact]
    public async Task StreamExplain_SuperbReview_YieldsProgressThenResultWithTopTokenSuperb()
    {
        using var client = server.CreateClient();
        var progress = new List<ExplainProgress>();
        var results = new List<ExplainResult>();

        // Small batches so that the server has several chunks to report progress on.
        var request = new ExplainOptions { Steps = 50, InternalBatchSize = 10 }.ToRequest("This movie is superb");
        await foreach (var ev in client.StreamExplain(request))
        {
            Assert.Empty(results); // nothing may follow the result
            if (ev.EventCase == ExplainResponse.EventOneofCase.Progress)
            {
                progress.Add(ev.Progress);
            }
            else
            {
                results.Add(ev.Result);
            }
        }

        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.InRange(p.StepsDone, 0, p.StepsTotal));
        Assert.Equal(progress.Select(p => p.StepsDone).Order(), progress.Select(p => p.StepsDone));
        var result = Assert.Single(results);
        Assert.Equal("positive", result.Prediction.Label);
        var top = result.Tokens.Where(t => !t.Special).MaxBy(t => t.Attribution);
        Assert.Equal("superb", top?.Token);
        // Completeness (Captum's convergence delta) holds to a loose bound even at 50 steps.
        Assert.True(Math.Abs(result.ConvergenceDelta) < 0.1 * Math.Max(1, Math.Abs(result.ScoreInput - result.ScoreBaseline)), $"delta {result.ConvergenceDelta}");
    }

    [Fact]
    public async Task ExplainAsync_WithProgress_ReportsProgressAndReturnsSameTopToken()
    {
        using var client = server.CreateClient();
        var reports = new List<ExplainProgress>();
        var progress = new SynchronousProgress<ExplainProgress>(reports.Add);

        var result = await client.ExplainAsync("This movie is superb", new ExplainOptions { InternalBatchSize = 10 }, progress);

        Assert.NotEmpty(reports);
        Assert.Equal("superb", result.Tokens.Where(t => !t.Special).MaxBy(t => t.Attribution)?.Token);
    }

    [Fact]
    public async Task ExplainAsync_BlankText_ServerAndClientBothRaiseValidationExceptionNamingText()
    {
        using var checking = server.CreateClient();
        using var trusting = server.CreateClient(validateRequests: false);

        var local = await Assert.ThrowsAsync<BertIgValidationException>(() => checking.ExplainAsync(" "));
        var remote = await Assert.ThrowsAsync<BertIgValidationException>(() => trusting.ExplainAsync(" "));

        Assert.False(local.IsFromServer);
        Assert.True(remote.IsFromServer);
        Assert.Contains(local.Violations, v => v.Field == "text");
        Assert.Contains(remote.Violations, v => v.Field == "text");
    }

    [Fact]
    public async Task StreamExplain_StepsTooLargeSentUnchecked_ServerViolationSurfacesWhileEnumerating()
    {
        using var client = server.CreateClient(validateRequests: false);

        var ex = await Assert.ThrowsAsync<BertIgValidationException>(async () =>
        {
            await foreach (var _ in client.StreamExplain("This movie is superb", new ExplainOptions { Steps = 100_000 }))
            {
            }
        });

        Assert.True(ex.IsFromServer);
        Assert.Contains(ex.Violations, v => v.Field == "n_steps");
    }

    [Fact]
    public async Task ExplainAsync_UnknownModel_ThrowsNotFound()
    {
        using var client = server.CreateClient();

        var ex = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => client.ExplainAsync("fine", new ExplainOptions { Model = "no-such-model" }));

        Assert.Equal(Grpc.Core.StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task PredictAsync_TwoReviews_ClassifiesEachInOrder()
    {
        using var client = server.CreateClient();

        var response = await client.PredictAsync(["This movie is superb", "This movie is terrible and boring"]);

        Assert.Equal(["positive", "negative"], response.Predictions.Select(p => p.Label));
    }

    [Fact]
    public async Task ListModelsAsync_DefaultServer_ListsDefaultSentimentModel()
    {
        using var client = server.CreateClient();

        var models = await client.ListModelsAsync();

        var model = Assert.Single(models, m => m.IsDefault);
        Assert.Equal("minilm-sentiment", model.Name);
        Assert.Equal(["negative", "positive"], model.Labels);
    }

    /// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, which would race the assertions).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
