using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Execution;

/// <summary>
/// Packs the texts of concurrent predictions on one model into shared forward runs. A prediction's texts join one queue;
/// the first of a burst waits <c>waitMs</c> for others, then runs take the queue in order, each run the texts of one
/// padded length (<see cref="LengthBuckets"/>), at most <c>maxTexts</c> and at most what the memory budget allows for
/// that length. Up to <see cref="RunsInFlight"/> runs go at once; texts that arrive meanwhile wait for the next run, so
/// under load runs fill by themselves. Logits are those of each text run alone (padding carries attention mask 0).
/// </summary>
/// <remarks>
/// A caller's cancellation takes its texts out of the queue and ends its call at once; a run it shares goes on for the
/// others and is stopped only when every caller in it has cancelled. A failed run fails the callers in it, no others.
/// Nothing here assumes a device: the runtime runs the batch wherever its session lives.
/// </remarks>
internal sealed class PredictBatcher(
    IAttributionRuntime runtime, int padId, Func<int, int> maxRowsPerRun, Func<int, int> padLength, int maxTexts, double waitMs) : IDisposable
{
    /// <summary>Forward runs in flight at once (one computing while the next is formed), as for explanations.</summary>
    public const int RunsInFlight = LayerIntegratedGradients.RunsInFlight;

    private readonly object _gate = new();
    private readonly LinkedList<Entry> _queue = new();
    private readonly SemaphoreSlim _slots = new(RunsInFlight, RunsInFlight);
    private bool _draining;
    private bool _disposed;

    /// <summary>Gets whether predictions share runs (a negative wait turns that off: each call runs its own texts).</summary>
    public bool Shares => waitMs >= 0;

    /// <summary>Returns the logits <c>[classes]</c> of every row (its ids and token types, one length per row), in order.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed before the rows ran.</exception>
    public async Task<float[][]> LogitsAsync(IReadOnlyList<int[]> ids, IReadOnlyList<int[]> types, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(types);
        cancellationToken.ThrowIfCancellationRequested();
        if (ids.Count == 0)
        {
            return [];
        }

        var ticket = new Ticket(ids.Count, cancellationToken);
        var entries = ids.Select((row, i) => new Entry(ticket, i, row, types[i], padLength(row.Length))).ToList();
        if (!Shares)
        {
            var own = new LinkedList<Entry>(entries);
            while (own.Count > 0 && !cancellationToken.IsCancellationRequested && !ticket.Task.IsCompleted)
            {
                await RunAsync(TakeBatch(own)).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return await ticket.Task.ConfigureAwait(false);
        }

        bool startDrain;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var entry in entries)
            {
                _queue.AddLast(entry);
            }

            startDrain = !_draining;
            _draining = true;
        }

        using var registration = cancellationToken.Register(static state =>
        {
            var (batcher, ticket) = ((PredictBatcher, Ticket))state!;
            batcher.Withdraw(ticket);
        }, (this, ticket));
        if (startDrain)
        {
            _ = Task.Run(DrainAsync, CancellationToken.None);
        }

        return await ticket.Task.ConfigureAwait(false);
    }

    /// <summary>Fails the predictions still queued with <see cref="ObjectDisposedException"/>; later calls throw it.</summary>
    public void Dispose()
    {
        List<Ticket> queued;
        lock (_gate)
        {
            _disposed = true;
            queued = _queue.Select(e => e.Ticket).Distinct().ToList();
            _queue.Clear();
        }

        foreach (var ticket in queued)
        {
            ticket.Fail(new ObjectDisposedException(nameof(PredictBatcher), "The model was disposed before the prediction ran."));
        }
    }

    private void Withdraw(Ticket ticket)
    {
        lock (_gate)
        {
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                if (ReferenceEquals(node.Value.Ticket, ticket))
                {
                    _queue.Remove(node);
                }

                node = next;
            }
        }

        ticket.Cancel();
    }

    private async Task DrainAsync()
    {
        if (waitMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(waitMs)).ConfigureAwait(false);
        }

        while (true)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
            List<Entry> batch;
            lock (_gate)
            {
                batch = TakeBatch(_queue);
                if (batch.Count == 0)
                {
                    _draining = false;
                    _slots.Release();
                    return;
                }
            }

            _ = RunAsync(batch).ContinueWith(static (_, slots) => ((SemaphoreSlim)slots!).Release(), _slots, TaskScheduler.Default);
        }
    }

    /// <summary>Takes the first text and the texts after it of the same padded length, up to the run's limit.</summary>
    private List<Entry> TakeBatch(LinkedList<Entry> queue)
    {
        var batch = new List<Entry>();
        if (queue.First is null)
        {
            return batch;
        }

        var seqLen = queue.First.Value.SeqLen;
        var limit = Math.Max(1, Math.Min(maxTexts, maxRowsPerRun(seqLen)));
        for (var node = queue.First; node is not null && batch.Count < limit;)
        {
            var next = node.Next;
            if (node.Value.SeqLen == seqLen)
            {
                batch.Add(node.Value);
                queue.Remove(node);
            }

            node = next;
        }

        return batch;
    }

    /// <summary>One forward run over <paramref name="batch"/>; stopped only when every caller in it has cancelled.</summary>
    private async Task RunAsync(List<Entry> batch)
    {
        var tickets = batch.Select(e => e.Ticket).Distinct().ToArray();
        using var stop = new CancellationTokenSource();
        var live = tickets.Length;
        var registrations = tickets.Select(t => t.Token.Register(() =>
        {
            if (Interlocked.Decrement(ref live) == 0)
            {
                stop.Cancel();
            }
        })).ToArray();
        try
        {
            var seqLen = batch[0].SeqLen;
            var padded = PaddedBatch.Create(batch.Select(e => e.Ids).ToArray(), batch.Select(e => e.Types).ToArray(), padId, _ => seqLen);
            var logits = await Task.Run(() => runtime.Logits(padded.Ids, padded.Mask, padded.Types, padded.Rows, padded.SeqLen, stop.Token), CancellationToken.None)
                .ConfigureAwait(false); // [rows, C]
            var classes = runtime.NumClasses;
            for (var r = 0; r < batch.Count; r++)
            {
                batch[r].Ticket.Set(batch[r].Index, logits.AsSpan(r * classes, classes).ToArray());
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Every caller in this run has cancelled and has been answered.
        }
        catch (Exception e)
        {
            foreach (var ticket in tickets)
            {
                ticket.Fail(e);
            }
        }
        finally
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }

    private sealed record Entry(Ticket Ticket, int Index, int[] Ids, int[] Types, int SeqLen);

    /// <summary>One caller's texts: completes when the last of them has its logits, or at once when it cancels or fails.</summary>
    private sealed class Ticket(int count, CancellationToken token)
    {
        private readonly TaskCompletionSource<float[][]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly float[][] _logits = new float[count][];
        private int _remaining = count;

        public CancellationToken Token => token;

        public Task<float[][]> Task => _completion.Task;

        public void Set(int index, float[] logits)
        {
            _logits[index] = logits;
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _completion.TrySetResult(_logits);
            }
        }

        public void Cancel() => _completion.TrySetCanceled(token);

        public void Fail(Exception error) => _completion.TrySetException(error);
    }
}
