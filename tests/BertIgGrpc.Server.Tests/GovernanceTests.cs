using System.Diagnostics;
using BertIgGrpc.Contracts.V1;
using Google.Rpc;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

/// <summary>Resource governance on the shared server: limits before any work, Predict admission by tokens, prompt cancellation.</summary>
[Collection(ServerCollection.Name)]
public sealed class GovernanceTests(ServerFixture server, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string PredictMethod = "/bertig.v1.Explainer/Predict";

    /// <summary>"good" x <paramref name="words"/>: one token per word plus [CLS] and [SEP].</summary>
    private static string Words(int words) => string.Join(' ', Enumerable.Repeat("good", words));

    [Fact]
    public async Task ExplainUnary_TokenStepsOverLimit_ReturnsResourceExhaustedNamingLimitAndFigure()
    {
        var watch = Stopwatch.StartNew();
        var exception = await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted,
            () => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Words(600), Truncate = true, NSteps = 2048 }).ResponseAsync);

        // 512 tokens x 2048 steps, refused before admission and before any computation.
        Assert.Contains("BertIg:Limits:MaxTokenSteps", exception.Status.Detail);
        Assert.Contains((512 * 2048).ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Status.Detail);
        var quota = exception.GetRpcStatus()!.GetDetail<QuotaFailure>();
        Assert.Equal("BertIg:Limits:MaxTokenSteps", Assert.Single(quota!.Violations).Subject);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Predict_TokensOverLimit_ReturnsResourceExhaustedNamingLimitAndFigure()
    {
        var request = new PredictRequest { Truncate = true };
        request.Texts.AddRange(Enumerable.Repeat(Words(600), 256)); // 256 x 512 tokens

        var exception = await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted, () => server.Client.PredictAsync(request).ResponseAsync);

        Assert.Contains("BertIg:Limits:MaxPredictTokens", exception.Status.Detail);
        Assert.Contains((256 * 512).ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Status.Detail);
        Assert.Equal("BertIg:Limits:MaxPredictTokens", Assert.Single(exception.GetRpcStatus()!.GetDetail<QuotaFailure>()!.Violations).Subject);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Predict_TokensInFlightAndQueueTaken_ReturnsResourceExhaustedNamingLimit_WhileExplanationsAreServed()
    {
        using var hold = server.Runtime.HoldRuns(gradients: false, predictions: true);

        // 3 x 16 tokens: admitted (48 of the 64 allowed in flight); its forward run starts and is held.
        var admitted = server.Client.PredictAsync(new PredictRequest { Texts = { Words(14), Words(14), Words(14) } }).ResponseAsync;
        await hold.WaitEnteredAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(48, server.PredictAdmission.TokensInFlight);

        // 32 tokens do not fit the 16 left: the call waits, the only place in the queue.
        var queued = server.Client.PredictAsync(new PredictRequest { Texts = { Words(30) } }).ResponseAsync;
        await WaitUntilAsync(() => server.PredictAdmission.Queued == ServerFixture.MaxQueue);

        // 8 tokens would fit, but calls are admitted in arrival order and the queue is full: refused at once, naming the limit.
        var exception = await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted,
            () => server.Client.PredictAsync(new PredictRequest { Texts = { Words(6) } }).ResponseAsync);
        Assert.Contains("BertIg:Limits:MaxPredictTokensInFlight", exception.Status.Detail);
        Assert.NotNull(exception.GetRpcStatus()!.GetDetail<RetryInfo>());
        Assert.Equal(48, server.PredictAdmission.TokensInFlight);

        // Explanations have slots of their own: answered while Predict calls hold every token and queue place.
        var explained = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Words(6), NSteps = 8 }, deadline: DateTime.UtcNow.AddSeconds(120))).Result;
        Assert.Equal(8, explained.NSteps);
        Assert.False(admitted.IsCompleted);

        // Released: the first call is answered, which admits the queued one.
        hold.Release();
        Assert.Equal(3, (await admitted).Predictions.Count);
        Assert.Single((await queued).Predictions);
        await server.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, server.PredictAdmission.TokensInFlight);
    }

    [Fact]
    public async Task Predict_WhileExplanationSlotsAndQueueAreTaken_IsAnswered()
    {
        using var stop = new CancellationTokenSource();
        var explanations = Enumerable.Range(0, ServerFixture.MaxConcurrent + ServerFixture.MaxQueue)
            .Select(_ => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = "Long enough.", NSteps = 2048, InternalBatchSize = 4 }, cancellationToken: stop.Token).ResponseAsync)
            .ToList();
        await WaitUntilAsync(() => server.Gate.Running == ServerFixture.MaxConcurrent && server.Gate.Queued == ServerFixture.MaxQueue);

        // 5120 tokens, more than the 64 allowed in flight: admitted alone, and Predict takes no explanation slot.
        var large = new PredictRequest { Truncate = true };
        large.Texts.AddRange(Enumerable.Repeat(Words(600), 10));
        Assert.Equal(10, (await server.Client.PredictAsync(large, deadline: DateTime.UtcNow.AddSeconds(120))).Predictions.Count);

        Assert.Equal(ServerFixture.MaxConcurrent, server.Gate.Running);
        await stop.CancelAsync();
        foreach (var call in explanations)
        {
            await Assert.ThrowsAsync<RpcException>(() => call);
        }

        await server.WaitForIdleAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ExplainUnary_SmallRequestWhileLargeOnesRunAndQueue_IsAdmittedAndAnswered()
    {
        using var stop = new CancellationTokenSource();
        var large = Enumerable.Range(0, ServerFixture.MaxConcurrent + ServerFixture.MaxQueue)
            .Select(_ => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = "Long enough.", NSteps = 2048, InternalBatchSize = 4 }, cancellationToken: stop.Token).ResponseAsync)
            .ToList();
        await WaitUntilAsync(() => server.Gate.Running == ServerFixture.MaxConcurrent && server.Gate.Queued == ServerFixture.MaxQueue);

        // 16 tokens x 50 steps: the small-request lane, not the queue behind the long explanations.
        var watch = Stopwatch.StartNew();
        var small = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Words(14) }, deadline: DateTime.UtcNow.AddSeconds(60))).Result;
        output.WriteLine($"16-token explanation answered in {watch.ElapsedMilliseconds} ms while the large lane was full");

        Assert.Equal(16, small.Tokens.Count);
        Assert.Equal(50, small.NSteps);
        await stop.CancelAsync();
        foreach (var call in large)
        {
            await Assert.ThrowsAsync<RpcException>(() => call);
        }

        await server.WaitForIdleAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Predict_DeadlinePasses_StopsTheWorkAndCountsDeadlineExceeded()
    {
        var request = new PredictRequest { Truncate = true };
        request.Texts.AddRange(Enumerable.Repeat(Words(600), 60)); // 60 x 512 tokens: tens of seconds of forward passes
        var before = server.Metrics.Requests.WithLabels(PredictMethod, nameof(StatusCode.DeadlineExceeded)).Value;

        await RpcAssert.ThrowsAsync(StatusCode.DeadlineExceeded,
            () => server.Client.PredictAsync(request, deadline: DateTime.UtcNow.AddSeconds(1)).ResponseAsync);
        var watch = Stopwatch.StartNew();

        // Predict holds its admitted tokens while it computes; they are free once the run in flight has been stopped.
        await server.WaitForIdleAsync(TimeSpan.FromSeconds(10));
        output.WriteLine($"slot free {watch.ElapsedMilliseconds} ms after the deadline");
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => server.Metrics.Requests.WithLabels(PredictMethod, nameof(StatusCode.DeadlineExceeded)).Value == before + 1);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Explain_CancelledDuringItsFirstRun_StopsThatRunAndFreesTheSlotPromptly()
    {
        // One gradient run of 8 rows x 512 tokens takes many seconds on a 2-core machine: without stopping the run in
        // flight, the slot would stay taken until it ends.
        var steps = server.Metrics.Steps.WithLabels(ServerFixture.DefaultModel).Value;
        using var cancel = new CancellationTokenSource();
        using var call = server.Client.Explain(new ExplainRequest { Text = Words(510), NSteps = 8, InternalBatchSize = 8 }, cancellationToken: cancel.Token);
        var next = call.ResponseStream.MoveNext(CancellationToken.None);
        await WaitUntilAsync(() => server.Gate.Running == 1);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(next.IsCompleted, "the first run ended before the test cancelled; make the request larger");

        await cancel.CancelAsync();
        var watch = Stopwatch.StartNew();
        await RpcAssert.ThrowsAsync(StatusCode.Cancelled, () => next);
        await server.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"slot free {watch.ElapsedMilliseconds} ms after cancelling");

        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(steps, server.Metrics.Steps.WithLabels(ServerFixture.DefaultModel).Value);
        await server.AssertServingAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 30 s");
            await Task.Delay(10);
        }
    }
}
