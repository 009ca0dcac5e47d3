using BertIgGrpc.Server.Hosting;
using BertIgGrpc.Server.Infrastructure;
using Microsoft.Extensions.Options;
using Prometheus;

namespace BertIgGrpc.Server.Tests;

public sealed class ExplanationGateTests
{
    private static (ExplanationGate Gate, ServerMetrics Metrics) Create(int concurrent, int queue)
    {
        var metrics = new ServerMetrics(Metrics.NewCustomRegistry());
        var options = Options.Create(new BertIgServerOptions { MaxConcurrentExplanations = concurrent, MaxQueueLength = queue });
        return (new ExplanationGate(options, metrics), metrics);
    }

    [Fact]
    public async Task TryEnter_SlotsAndQueueFull_ReturnsNull()
    {
        var (gate, metrics) = Create(concurrent: 1, queue: 1);
        using var running = await gate.TryEnterAsync(CancellationToken.None);
        var queued = gate.TryEnterAsync(CancellationToken.None).AsTask();

        var rejected = await gate.TryEnterAsync(CancellationToken.None);

        Assert.NotNull(running);
        Assert.False(queued.IsCompleted);
        Assert.Null(rejected);
        Assert.Equal((1, 1), (gate.Running, gate.Queued));
        Assert.Equal((1.0, 1.0), (metrics.InFlight.Value, metrics.QueueDepth.Value));
        running!.Dispose();
        using var next = await queued;
        Assert.Equal((1, 0), (gate.Running, gate.Queued));
    }

    [Fact]
    public async Task TryEnter_QueuedCallerCancelled_FreesItsPlace()
    {
        var (gate, _) = Create(concurrent: 1, queue: 1);
        using var running = await gate.TryEnterAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var queued = gate.TryEnterAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.Equal((1, 0), (gate.Running, gate.Queued));
        using var again = await Task.Run(async () =>
        {
            var second = gate.TryEnterAsync(CancellationToken.None).AsTask();
            Assert.False(second.IsCompleted); // it queues again instead of being rejected
            running!.Dispose();
            return await second;
        });
        Assert.NotNull(again);
    }

    [Fact]
    public async Task Lease_DisposedTwice_ReleasesOnce()
    {
        var (gate, _) = Create(concurrent: 2, queue: 0);
        var first = await gate.TryEnterAsync(CancellationToken.None);
        using var second = await gate.TryEnterAsync(CancellationToken.None);

        first!.Dispose();
        first.Dispose();

        Assert.Equal(1, gate.Running);
        using var third = await gate.TryEnterAsync(CancellationToken.None);
        Assert.NotNull(third);
        Assert.Null(await gate.TryEnterAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TryEnter_SmallRequestWhileLargeLaneFull_RunsInItsOwnLane()
    {
        var (gate, metrics) = Create(concurrent: 1, queue: 0);
        using var large = await gate.TryEnterAsync(cost: 1_000_000, CancellationToken.None);
        Assert.Null(await gate.TryEnterAsync(cost: 1_000_000, CancellationToken.None));

        using var small = await gate.TryEnterAsync(cost: gate.SmallRequestCost, CancellationToken.None);

        Assert.NotNull(small);
        Assert.Equal(2, gate.Running);
        Assert.Equal(2.0, metrics.InFlight.Value);
        Assert.Null(await gate.TryEnterAsync(cost: 1, CancellationToken.None)); // the small lane has the same limits
    }

    [Fact]
    public void Options_ZeroConcurrency_UsesProcessorCount()
    {
        var (gate, _) = Create(concurrent: 0, queue: 32);

        Assert.Equal(Environment.ProcessorCount, gate.MaxConcurrent);
        Assert.Equal(32, gate.MaxQueue);
    }
}
