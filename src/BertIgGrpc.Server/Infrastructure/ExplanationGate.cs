using BertIgGrpc.Server.Hosting;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Server.Infrastructure;

/// <summary>
/// Admission control for explanations: at most <c>MaxConcurrentExplanations</c> run, at most
/// <c>MaxQueueLength</c> wait (in arrival order, each honouring its own cancellation), and
/// anyone beyond that is turned away at once rather than piling up behind a slow model.
/// </summary>
public sealed class ExplanationGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly ServerMetrics _metrics;
    private int _admitted; // running + queued
    private int _running;

    /// <summary>Creates the gate from the server options.</summary>
    public ExplanationGate(IOptions<BertIgServerOptions> options, ServerMetrics metrics)
    {
        MaxConcurrent = options.Value.ResolveMaxConcurrentExplanations();
        MaxQueue = Math.Max(0, options.Value.MaxQueueLength);
        _slots = new SemaphoreSlim(MaxConcurrent, MaxConcurrent);
        _metrics = metrics;
    }

    /// <summary>Gets the number of explanations allowed to run at once.</summary>
    public int MaxConcurrent { get; }

    /// <summary>Gets the number of explanations allowed to wait.</summary>
    public int MaxQueue { get; }

    /// <summary>Gets the number of explanations running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Gets the number of explanations waiting now.</summary>
    public int Queued => Math.Max(0, Volatile.Read(ref _admitted) - Running);

    /// <summary>
    /// Waits for a slot. Returns null when the queue is full (the caller answers RESOURCE_EXHAUSTED);
    /// throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires while queued.
    /// Dispose the returned lease when the explanation has ended.
    /// </summary>
    public async ValueTask<IDisposable?> TryEnterAsync(CancellationToken cancellationToken)
    {
        using var admission = ServerTelemetry.StartAdmission(Running, Queued);

        // Reserve a place first so that the limit holds even when many callers arrive at once.
        if (Interlocked.Increment(ref _admitted) > MaxConcurrent + MaxQueue)
        {
            Interlocked.Decrement(ref _admitted);
            return null;
        }

        UpdateGauges();
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            UpdateGauges();
            throw;
        }

        Interlocked.Increment(ref _running);
        UpdateGauges();
        return new Lease(this);
    }

    private void Exit()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Decrement(ref _admitted);
        _slots.Release();
        UpdateGauges();
    }

    private void UpdateGauges()
    {
        _metrics.InFlight.Set(Running);
        _metrics.QueueDepth.Set(Queued);
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private sealed class Lease(ExplanationGate gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Exit();
            }
        }
    }
}
