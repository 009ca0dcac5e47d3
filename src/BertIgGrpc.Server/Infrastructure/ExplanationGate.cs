using BertIgGrpc.Server.Hosting;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Server.Infrastructure;

/// <summary>
/// Admission control for explanations (Predict calls are admitted by tokens, <see cref="PredictAdmission"/>): at most <c>MaxConcurrentExplanations</c> run, at most
/// <c>MaxQueueLength</c> wait (in arrival order, each honouring its own cancellation), and anyone beyond that is
/// turned away at once rather than piling up behind a slow model. Small requests (cost at most
/// <c>SmallRequestTokenSteps</c>) have a lane of their own with the same limits, so a short explanation is not
/// queued behind long ones; the runtime then shares the processors between the runs in flight.
/// </summary>
public sealed class ExplanationGate : IDisposable
{
    private readonly Lane _large;
    private readonly Lane _small;
    private readonly ServerMetrics _metrics;

    /// <summary>Creates the gate from the server options.</summary>
    public ExplanationGate(IOptions<BertIgServerOptions> options, ServerMetrics metrics)
    {
        MaxConcurrent = options.Value.ResolveMaxConcurrentExplanations();
        MaxQueue = Math.Max(0, options.Value.MaxQueueLength);
        SmallRequestCost = options.Value.SmallRequestTokenSteps;
        _large = new Lane(MaxConcurrent);
        _small = new Lane(MaxConcurrent);
        _metrics = metrics;
    }

    /// <summary>Gets the number of requests allowed to run at once in each lane.</summary>
    public int MaxConcurrent { get; }

    /// <summary>Gets the number of requests allowed to wait in each lane.</summary>
    public int MaxQueue { get; }

    /// <summary>Gets the largest cost (tokens x steps) that takes the small lane.</summary>
    public long SmallRequestCost { get; }

    /// <summary>Gets the number of requests running now.</summary>
    public int Running => _large.Running + _small.Running;

    /// <summary>Gets the number of requests waiting now.</summary>
    public int Queued => _large.Queued + _small.Queued;

    /// <summary>Waits for a slot in the large lane (see <see cref="TryEnterAsync(long, CancellationToken)"/>).</summary>
    public ValueTask<IDisposable?> TryEnterAsync(CancellationToken cancellationToken) => TryEnterAsync(long.MaxValue, cancellationToken);

    /// <summary>
    /// Waits for a slot in the lane for <paramref name="cost"/>. Returns null when that lane's queue is full (the caller
    /// answers RESOURCE_EXHAUSTED); throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/>
    /// fires while queued. Dispose the returned lease when the request has ended.
    /// </summary>
    public async ValueTask<IDisposable?> TryEnterAsync(long cost, CancellationToken cancellationToken)
    {
        var lane = cost <= SmallRequestCost ? _small : _large;
        using var admission = ServerTelemetry.StartAdmission(Running, Queued);

        // Reserve a place first so that the limit holds even when many callers arrive at once.
        if (Interlocked.Increment(ref lane.Admitted) > MaxConcurrent + MaxQueue)
        {
            Interlocked.Decrement(ref lane.Admitted);
            return null;
        }

        UpdateGauges();
        try
        {
            await lane.Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref lane.Admitted);
            UpdateGauges();
            throw;
        }

        Interlocked.Increment(ref lane.RunningCount);
        UpdateGauges();
        return new AdmissionLease(() => Exit(lane));
    }

    private void Exit(Lane lane)
    {
        Interlocked.Decrement(ref lane.RunningCount);
        Interlocked.Decrement(ref lane.Admitted);
        lane.Slots.Release();
        UpdateGauges();
    }

    private void UpdateGauges()
    {
        _metrics.InFlight.Set(Running);
        _metrics.QueueDepth.Set(Queued);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _large.Slots.Dispose();
        _small.Slots.Dispose();
    }

    private sealed class Lane(int slots)
    {
        public readonly SemaphoreSlim Slots = new(slots, slots);
        public int Admitted; // running + queued
        public int RunningCount;

        public int Running => Volatile.Read(ref RunningCount);

        public int Queued => Math.Max(0, Volatile.Read(ref Admitted) - Running);
    }
}
