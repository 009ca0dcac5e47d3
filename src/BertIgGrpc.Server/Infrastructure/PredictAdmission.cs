using BertIgGrpc.Engine.Models;
using BertIgGrpc.Server.Hosting;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Server.Infrastructure;

/// <summary>
/// Admission control for Predict calls by tokens: at most <see cref="MaxTokensInFlight"/> tokens of Predict calls are in
/// the engine at once (<c>BertIg:Limits:MaxPredictTokensInFlight</c>, the smallest of the loaded models' values), at most
/// <c>MaxQueueLength</c> calls wait, strictly in arrival order (a large call is not overtaken for ever by small ones), each
/// honouring its own cancellation, and anyone beyond that is turned away at once. A call with more tokens than the budget
/// counts as the whole budget, so it runs alone. Predict calls take no explanation slots (<see cref="ExplanationGate"/>):
/// many small calls in flight together are what lets the engine share forward runs between them, while the engine itself
/// keeps a model's Predict runs to two at a time, each within the run memory budget.
/// </summary>
public sealed class PredictAdmission
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _queue = new();
    private readonly Lazy<long> _maxTokens;
    private readonly ServerMetrics _metrics;
    private long _tokensInFlight;
    private int _callsInFlight;

    /// <summary>Creates the admission from the server options; the budget is read from the models on first use.</summary>
    public PredictAdmission(IOptions<BertIgServerOptions> options, ModelRegistry registry, ServerMetrics metrics)
    {
        _metrics = metrics;
        MaxQueue = Math.Max(0, options.Value.MaxQueueLength);
        _maxTokens = new Lazy<long>(() => registry.Models.Select(m => m.MaxPredictTokensInFlight).DefaultIfEmpty(long.MaxValue).Min());
    }

    /// <summary>Gets the most tokens of Predict calls in flight at once.</summary>
    public long MaxTokensInFlight => _maxTokens.Value;

    /// <summary>Gets the number of Predict calls allowed to wait.</summary>
    public int MaxQueue { get; }

    /// <summary>Gets the tokens of the Predict calls admitted now (each counted at most <see cref="MaxTokensInFlight"/>).</summary>
    public long TokensInFlight
    {
        get
        {
            lock (_lock)
            {
                return _tokensInFlight;
            }
        }
    }

    /// <summary>Gets the number of Predict calls admitted now.</summary>
    public int Running => Volatile.Read(ref _callsInFlight);

    /// <summary>Gets the number of Predict calls waiting now.</summary>
    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="tokens"/> fit the budget. Returns null when the queue is full (the caller answers
    /// RESOURCE_EXHAUSTED); throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires
    /// while queued. Dispose the returned lease when the call has ended.
    /// </summary>
    public async ValueTask<IDisposable?> TryEnterAsync(long tokens, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var cost = Math.Clamp(tokens, 1, MaxTokensInFlight);
        Waiter waiter;
        lock (_lock)
        {
            if (_queue.Count == 0 && _tokensInFlight + cost <= MaxTokensInFlight)
            {
                Admit(cost);
                return new AdmissionLease(() => Exit(cost));
            }

            if (_queue.Count >= MaxQueue)
            {
                return null;
            }

            waiter = new Waiter(cost);
            waiter.Node = _queue.AddLast(waiter);
            UpdateGauges();
        }

        using (cancellationToken.Register(static state =>
        {
            var (admission, queued) = ((PredictAdmission, Waiter))state!;
            admission.Withdraw(queued);
        }, (this, waiter)))
        {
            await waiter.Admitted.Task.ConfigureAwait(false);
        }

        return new AdmissionLease(() => Exit(cost));
    }

    private void Admit(long cost)
    {
        _tokensInFlight += cost;
        Interlocked.Increment(ref _callsInFlight);
        UpdateGauges();
    }

    /// <summary>Sets the Predict gauges (lock held).</summary>
    private void UpdateGauges()
    {
        _metrics.PredictQueueDepth.Set(_queue.Count);
        _metrics.PredictTokensInFlight.Set(_tokensInFlight);
    }

    private void Withdraw(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null)
            {
                return; // admitted already: the lease is released when the call ends
            }

            _queue.Remove(waiter.Node);
            AdmitWaiting(); // the head may have been the one that did not fit
            UpdateGauges();
        }

        waiter.Admitted.TrySetCanceled();
    }

    private void Exit(long cost)
    {
        lock (_lock)
        {
            _tokensInFlight -= cost;
            Interlocked.Decrement(ref _callsInFlight);
            AdmitWaiting();
            UpdateGauges();
        }
    }

    /// <summary>Admits waiting calls from the head of the queue while they fit (lock held).</summary>
    private void AdmitWaiting()
    {
        while (_queue.First is { } head && _tokensInFlight + head.Value.Cost <= MaxTokensInFlight)
        {
            _queue.RemoveFirst();
            Admit(head.Value.Cost);
            head.Value.Admitted.TrySetResult();
        }
    }

    private sealed class Waiter(long cost)
    {
        public long Cost => cost;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
