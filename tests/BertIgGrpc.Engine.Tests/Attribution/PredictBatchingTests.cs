using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>Concurrent predictions on one model share forward runs (PredictBatcher) and get what they get alone.</summary>
public class PredictBatchingTests
{
    private const string Short = "This movie is superb";                              // 6 tokens: bucket 8
    private const string Long = "A noisy, hideous, and viciously cumbersome movie";   // 14 tokens: bucket 16

    private static (ExplainerModel Model, CubicTestRuntime Runtime) Create(double waitMs)
        => CubicTestModel.Create(new RuntimeSettings { PredictBatchWaitMs = waitMs });

    private static string Text(int i) => (i % 3) switch { 0 => Short, 1 => Long, _ => $"Quite good, scene {i} really" };

    [Fact]
    public async Task ConcurrentPredictions_ShareRunsPerLengthBucket_AndEqualEachTextAlone()
    {
        var (model, runtime) = Create(waitMs: 200);
        var calls = Enumerable.Range(0, 12).Select(i => model.PredictAsync([Text(i)])).ToArray(); // enqueued synchronously
        var results = await Task.WhenAll(calls);

        // 12 callers, texts of two padded lengths (8: "superb" and "scene i"; 16: the long one): two runs, not 12.
        Assert.Equal(2, runtime.ForwardCalls);
        Assert.Equal(12, runtime.ForwardRows.Sum());
        var (alone, _) = Create(waitMs: -1);
        for (var i = 0; i < calls.Length; i++)
        {
            var expected = Assert.Single(await alone.PredictAsync([Text(i)]));
            Assert.Equal(expected.Logits, Assert.Single(results[i]).Logits);
        }
    }

    [Fact]
    public async Task NegativeWait_EachPredictionRunsItsOwnTexts()
    {
        var (model, runtime) = Create(waitMs: -1);
        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => model.PredictAsync([Short, Text(i)])));
        // Per call: one run when both texts pad to 8 tokens (i = 0, 2, 3), two runs of one when one pads to 16 (i = 1, 4).
        Assert.Equal(7, runtime.ForwardCalls);
        Assert.Equal(10, runtime.ForwardRows.Sum());
        Assert.All(runtime.ForwardRows, rows => Assert.InRange(rows, 1, 2));
    }

    [Fact]
    public async Task CancelledCaller_InASharedRun_LeavesTheOthersTheirResults()
    {
        var (model, runtime) = Create(waitMs: 200);
        using var cancel = new CancellationTokenSource();
        // The first caller cancels while the shared run is in flight. All texts pad to one length, so the first run
        // holds the first caller's text: a cancel fired from a run of another length could race that run's completion
        // (the caller may then get its result, which is allowed), and the test would not show what it means to.
        runtime.OnForward = _ => cancel.Cancel();
        var cancelled = model.PredictAsync([Long], cancellationToken: cancel.Token);
        var others = Enumerable.Range(0, 3).Select(_ => model.PredictAsync([Long, Long])).ToArray();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var results = await Task.WhenAll(others);
        runtime.OnForward = null;
        var (alone, _) = Create(waitMs: -1);
        var expected = await alone.PredictAsync([Long, Long]);
        Assert.All(results, r => Assert.Equal(expected.Select(p => p.Logits), r.Select(p => p.Logits)));
    }

    [Fact]
    public async Task CancelledCaller_InTheQueue_IsTakenOutAndAnsweredAtOnce()
    {
        var (model, runtime) = Create(waitMs: 500);
        using var cancel = new CancellationTokenSource();
        var cancelled = model.PredictAsync([Long, Long, Long], cancellationToken: cancel.Token);
        var other = model.PredictAsync([Long]);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(other.IsCompleted); // still waiting for the shared run
        Assert.Single(await other);
        Assert.Equal([1], runtime.ForwardRows); // the cancelled texts never ran
    }

    [Fact]
    public async Task Dispose_FailsQueuedPredictions()
    {
        var (model, _) = Create(waitMs: 500);
        var queued = model.PredictAsync([Short]);
        model.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
    }

    [Fact]
    public async Task OnnxModel_ConcurrentPredictions_MatchEachTextAlone()
    {
        using var model = MiniLmClassifier.CreateExplainer();
        string[] texts = [Short, Long, "An utterly forgettable film", "Great acting and a clever, moving story about two brothers", "meh"];
        var alone = new List<IReadOnlyList<float>>();
        foreach (var text in texts)
        {
            alone.Add(Assert.Single(await model.PredictAsync([text])).Logits);
        }

        var together = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => model.PredictAsync([texts[i % texts.Length]])));
        for (var i = 0; i < together.Length; i++)
        {
            Assert.Equal(alone[i % texts.Length], Assert.Single(together[i]).Logits, (a, b) => Math.Abs(a - b) <= 1e-5f);
        }
    }

    [Theory]
    [InlineData(1, 512, 8)]
    [InlineData(14, 512, 16)]
    [InlineData(33, 512, 40)]
    [InlineData(129, 512, 160)]
    [InlineData(129, 140, 140)]
    [InlineData(512, 512, 512)]
    [InlineData(600, 1024, 600)]
    public void LengthBuckets_PadUpToTheNextBucketWithinTheLimit(int tokens, int maxTokens, int expected)
        => Assert.Equal(expected, LengthBuckets.Pad(tokens, maxTokens));
}
