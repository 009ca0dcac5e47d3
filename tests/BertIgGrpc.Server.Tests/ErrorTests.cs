using BertIgGrpc.Contracts.V1;
using Google.Rpc;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ErrorTests(ServerFixture server)
{
    private const string Text = "The plot was thin but the acting was superb.";

    // Many small batches, so that a stop lands between two of them; the tests hold a gradient run to keep it running.
    private static T LongRequest<T>() where T : IExplainParameters, new() => new() { Text = Text, NSteps = 64, InternalBatchSize = 4 };

    private const int LongRequestRuns = 64 / 4;

    [Fact]
    public async Task ExplainUnary_UnknownModel_ReturnsNotFoundListingLoadedModels()
    {
        var exception = await RpcAssert.ThrowsAsync(StatusCode.NotFound,
            () => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Model = "no-such-model", Text = Text }).ResponseAsync);

        Assert.Contains("no-such-model", exception.Status.Detail);
        Assert.Contains(ServerFixture.DefaultModel, exception.Status.Detail);
        Assert.Equal("no-such-model", exception.GetRpcStatus()!.GetDetail<ResourceInfo>()!.ResourceName);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Explain_UnknownModel_ReturnsNotFoundOnTheStream()
    {
        using var call = server.Client.Explain(new ExplainRequest { Model = "no-such-model", Text = Text });

        await RpcAssert.ThrowsAsync(StatusCode.NotFound, () => call.ResponseStream.MoveNext());
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Predict_UnknownModel_ReturnsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound,
            () => server.Client.PredictAsync(new PredictRequest { Model = "no-such-model", Texts = { Text } }).ResponseAsync);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task ExplainUnary_TextOverTokenLimit_ReturnsInvalidArgumentNamingTheLimit()
    {
        var maxTokens = (await server.Client.ListModelsAsync(new ListModelsRequest())).Models.Single(m => m.IsDefault).MaxTokens;
        var text = string.Join(' ', Enumerable.Repeat("good", maxTokens * 2));

        var violation = await RpcAssert.InvalidFieldAsync("text",
            () => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = text }).ResponseAsync);

        Assert.Contains(maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), violation.Description);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task ExplainUnary_UnknownTargetLabel_ReturnsInvalidArgumentListingLabels()
    {
        var violation = await RpcAssert.InvalidFieldAsync("target_label",
            () => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, TargetLabel = "neutral" }).ResponseAsync);

        Assert.Contains("negative", violation.Description);
        Assert.Contains("positive", violation.Description);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task ExplainUnary_TargetIndexOutOfRange_ReturnsInvalidArgument()
    {
        await RpcAssert.InvalidFieldAsync("target_index",
            () => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, TargetIndex = 7 }).ResponseAsync);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task ExplainUnary_MoreCallsThanSlotsAndQueue_ReturnsResourceExhausted()
    {
        const int calls = 6;
        const int admitted = ServerFixture.MaxConcurrent + ServerFixture.MaxQueue;
        using var stop = new CancellationTokenSource();
        var outcomes = new List<Task<global::Grpc.Core.Status>>();
        using (var hold = server.Runtime.HoldRuns())
        {
            try
            {
                // The first call holds the only slot (its gradient runs wait for the test); the next one queues.
                outcomes.Add(StatusOf(server.Client.ExplainUnaryAsync(LongRequest<ExplainUnaryRequest>(), cancellationToken: stop.Token).ResponseAsync));
                await hold.WaitEnteredAsync(TimeSpan.FromSeconds(60));
                outcomes.AddRange(Enumerable.Range(1, calls - 1)
                    .Select(_ => StatusOf(server.Client.ExplainUnaryAsync(LongRequest<ExplainUnaryRequest>(), cancellationToken: stop.Token).ResponseAsync)));

                var later = outcomes.Skip(1).ToList();
                var deadline = Task.Delay(TimeSpan.FromMinutes(2));
                while (later.Count(o => o.IsCompleted) < calls - admitted)
                {
                    if (await Task.WhenAny(later.Where(o => !o.IsCompleted).Append(deadline)) == deadline)
                    {
                        Assert.Fail($"After 2 minutes {later.Count(o => o.IsCompleted)} of the {calls - 1} later calls had an answer " +
                            $"(expected {calls - admitted} refusals); the gate says {server.Gate.Running} running and {server.Gate.Queued} queued.");
                    }
                }
            }
            finally
            {
                // Also on failure: the admitted calls must not outlive this test and keep the next tests' slots.
                await stop.CancelAsync();
            }
        }

        var statuses = await Task.WhenAll(outcomes);

        Assert.Equal(calls - admitted, statuses.Count(s => s.StatusCode == StatusCode.ResourceExhausted));
        Assert.All(statuses.Where(s => s.StatusCode == StatusCode.ResourceExhausted), s => Assert.Contains("busy", s.Detail, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(admitted, statuses.Count(s => s.StatusCode == StatusCode.Cancelled));
        await server.WaitForIdleAsync(TimeSpan.FromSeconds(60));
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Explain_ClientCancels_StopsTheComputation()
    {
        var completedSteps = server.Metrics.Steps.WithLabels(ServerFixture.DefaultModel).Value;
        using var cancel = new CancellationTokenSource();
        using (var hold = server.Runtime.HoldRuns())
        {
            using var call = server.Client.Explain(LongRequest<ExplainRequest>(), cancellationToken: cancel.Token);
            await hold.WaitEnteredAsync(TimeSpan.FromSeconds(60)); // mid-computation by construction
            var cancelledCalls = server.Calls.CancelledCalls;
            await cancel.CancelAsync();

            await RpcAssert.ThrowsAsync(StatusCode.Cancelled, async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            });
            await server.Calls.WaitForCancelledCallsAsync(cancelledCalls + 1, TimeSpan.FromSeconds(30)); // the server has seen it too
            hold.Release();

            // The engine must stop at its next batch, free its slot and never complete the explanation.
            await server.WaitForIdleAsync(TimeSpan.FromSeconds(30));
            AssertStoppedEarly(hold.Runs);
        }

        Assert.Equal(completedSteps, server.Metrics.Steps.WithLabels(ServerFixture.DefaultModel).Value);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task ExplainUnary_DeadlineExceeded_ReturnsDeadlineExceededAndStops()
    {
        var completedSteps = server.Metrics.Steps.WithLabels(ServerFixture.DefaultModel).Value;
        using (var hold = server.Runtime.HoldRuns())
        {
            var cancelledCalls = server.Calls.CancelledCalls;
            var call = server.Client.ExplainUnaryAsync(LongRequest<ExplainUnaryRequest>(), deadline: DateTime.UtcNow.AddSeconds(3)).ResponseAsync;

            // The work started before the deadline (its gradient runs are held), so the deadline ends running work.
            await hold.WaitEnteredAsync(TimeSpan.FromSeconds(60));
            await RpcAssert.ThrowsAsync(StatusCode.DeadlineExceeded, () => call);
            await server.Calls.WaitForCancelledCallsAsync(cancelledCalls + 1, TimeSpan.FromSeconds(30)); // the server's deadline fired too
            hold.Release();

            await server.WaitForIdleAsync(TimeSpan.FromSeconds(30));
            AssertStoppedEarly(hold.Runs);
        }

        Assert.Equal(completedSteps, server.Metrics.Steps.WithLabels(ServerFixture.DefaultModel).Value);
        await server.AssertServingAsync();
    }

    /// <summary>
    /// Only the runs the engine had in flight while held (at most two) may have started; the whole request needs
    /// <see cref="LongRequestRuns"/>, which an engine that ignored the cancellation would run once released.
    /// </summary>
    private static void AssertStoppedEarly(int runs)
        => Assert.True(runs is >= 1 and <= 2, $"{runs} gradient runs started of the {LongRequestRuns} the request needs; at most the 2 in flight may start");

    private static async Task<global::Grpc.Core.Status> StatusOf(Task call)
    {
        try
        {
            await call;
            return global::Grpc.Core.Status.DefaultSuccess;
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
    }
}
