using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Engine.Attribution;

/// <summary>One chunk of one explanation's path: the arguments of <see cref="IAttributionRuntime.PathGradient"/>.</summary>
/// <param name="Baseline">L(x') of the chunk's texts, <c>[T, S, H]</c>.</param>
/// <param name="Difference">L(x) - L(x'), <c>[T, S, H]</c>.</param>
/// <param name="Alphas">One point per row, <c>[K, T]</c>.</param>
/// <param name="Mask">Attention mask per row, <c>[K T, S]</c>.</param>
/// <param name="Types">Token types per row, <c>[K T, S]</c>.</param>
/// <param name="Seed">Seed per row (target one-hot times the step weight), <c>[K T, C]</c>.</param>
/// <param name="Texts">T.</param>
/// <param name="SeqLen">S, the padded length.</param>
/// <param name="MaxRows">The rows per run its request asked for (<c>internal_batch_size</c> within the budget): a run it starts holds no more.</param>
internal sealed record PathChunk(float[] Baseline, float[] Difference, float[] Alphas, long[] Mask, long[] Types, float[] Seed, int Texts, int SeqLen, int MaxRows)
{
    /// <summary>Gets K, the points per text.</summary>
    public int Points => Alphas.Length / Texts;
}

/// <summary>
/// Packs the path chunks of concurrent explanations on one model into shared ONNX Runtime runs. Chunks join one queue;
/// up to <see cref="RunsInFlight"/> runs go at once, and each run takes the first queued chunk and the chunks after it of
/// the same padded length, as long as the run stays within the first chunk's rows per run (its request's
/// <c>internal_batch_size</c>: 25 on CPU by default, the memory budget on CUDA) and the memory budget's rows for that
/// length. So small chunks (few steps) fill runs of the size a request would run alone, and full chunks run as they
/// are: on CPU runs beyond that size were measured slower per row, not faster (benchmarks/README.md). Chunks that arrive
/// while runs are in flight wait for the next one, so runs fill by themselves under load and a lone explanation runs as
/// before (two runs in flight, one chunk each).
/// </summary>
/// <remarks>
/// In a shared run the texts of all chunks sit side by side (<c>T</c> = their sum) at their own points; a chunk with
/// fewer points than the run's <c>K</c> fills the rest with rows at point 0 and seed 0, whose gradient is exactly 0, so
/// each chunk's gradient sum is what it gets alone up to the float summation of other rows' MatMuls (tested to 1e-6).
/// A queued chunk whose caller cancels leaves the queue at once; a chunk in a run is answered when the run ends, which
/// goes on for the others and is stopped only when every caller in it has cancelled (so no run is left going after a
/// lone caller's cancellation returns). Nothing here assumes a device.
/// </remarks>
internal sealed class PathRunScheduler(IAttributionRuntime runtime, Func<int, int> maxRowsPerRun)
{
    /// <summary>Runs in flight at once on the model (one computing while the next is formed).</summary>
    public const int RunsInFlight = LayerIntegratedGradients.RunsInFlight;

    private readonly object _gate = new();
    private readonly LinkedList<Entry> _queue = new();
    private readonly SemaphoreSlim _slots = new(RunsInFlight, RunsInFlight);
    private bool _draining;

    /// <summary>Returns the chunk's gradient sum over its points, <c>[T, S, H]</c>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<float[]> RunAsync(PathChunk chunk, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entry = new Entry(chunk, cancellationToken);
        bool startDrain;
        lock (_gate)
        {
            entry.Node = _queue.AddLast(entry);
            startDrain = !_draining;
            _draining = true;
        }

        using var registration = cancellationToken.Register(static state =>
        {
            var (scheduler, entry) = ((PathRunScheduler, Entry))state!;
            scheduler.Withdraw(entry);
        }, (this, entry));
        if (startDrain)
        {
            _ = Task.Run(DrainAsync, CancellationToken.None);
        }

        return await entry.Completion.Task.ConfigureAwait(false);
    }

    private void Withdraw(Entry entry)
    {
        lock (_gate)
        {
            if (entry.Node?.List is null)
            {
                return; // in a run: answered when the run ends
            }

            _queue.Remove(entry.Node);
        }

        entry.Completion.TrySetCanceled(entry.Token);
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
            List<Entry> batch;
            lock (_gate)
            {
                batch = TakeBatch();
                if (batch.Count == 0)
                {
                    _draining = false;
                    _slots.Release();
                    return;
                }
            }

            _ = Task.Run(() => Run(batch), CancellationToken.None).ContinueWith(static (_, slots) => ((SemaphoreSlim)slots!).Release(), _slots, TaskScheduler.Default);
        }
    }

    /// <summary>The first queued chunk and the chunks after it of the same length while the run fits the budget (under the lock).</summary>
    private List<Entry> TakeBatch()
    {
        var batch = new List<Entry>();
        if (_queue.First is null)
        {
            return batch;
        }

        var seqLen = _queue.First.Value.Chunk.SeqLen;
        var limit = Math.Min(maxRowsPerRun(seqLen), _queue.First.Value.Chunk.MaxRows);
        int texts = 0, points = 0;
        for (var node = _queue.First; node is not null;)
        {
            var next = node.Next;
            var chunk = node.Value.Chunk;
            if (chunk.SeqLen == seqLen && (batch.Count == 0 || (long)Math.Max(points, chunk.Points) * (texts + chunk.Texts) <= limit))
            {
                batch.Add(node.Value);
                _queue.Remove(node);
                texts += chunk.Texts;
                points = Math.Max(points, chunk.Points);
            }

            node = next;
        }

        return batch;
    }

    private void Run(List<Entry> batch)
    {
        using var stop = new CancellationTokenSource();
        var live = batch.Count;
        var registrations = batch.Select(e => e.Token.Register(() =>
        {
            if (Interlocked.Decrement(ref live) == 0)
            {
                stop.Cancel();
            }
        })).ToArray();
        try
        {
            var chunk = batch.Count == 1 ? batch[0].Chunk : Merge(batch.Select(e => e.Chunk).ToList());
            var sum = runtime.PathGradient(chunk.Baseline, chunk.Difference, chunk.Alphas, chunk.Mask, chunk.Types, chunk.Seed, chunk.Texts, chunk.SeqLen, stop.Token);
            var rowSize = chunk.SeqLen * runtime.HiddenSize;
            if (sum.Length != chunk.Texts * rowSize)
            {
                throw new InvalidOperationException($"The runtime returned a path gradient of {sum.Length} values for {chunk.Texts} texts of {chunk.SeqLen} x {runtime.HiddenSize}.");
            }

            var offset = 0;
            foreach (var entry in batch)
            {
                var length = entry.Chunk.Texts * rowSize;
                if (entry.Token.IsCancellationRequested)
                {
                    entry.Completion.TrySetCanceled(entry.Token);
                }
                else
                {
                    entry.Completion.TrySetResult(batch.Count == 1 ? sum : sum.AsSpan(offset, length).ToArray());
                }

                offset += length;
            }
        }
        catch (Exception e)
        {
            foreach (var entry in batch)
            {
                if (entry.Token.IsCancellationRequested)
                {
                    entry.Completion.TrySetCanceled(entry.Token);
                }
                else
                {
                    entry.Completion.TrySetException(e);
                }
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

    /// <summary>
    /// One chunk holding <paramref name="chunks"/> side by side: texts concatenated, K the largest; row <c>k * T + t</c>
    /// of a text whose chunk has fewer points is point 0 with seed 0 (gradient exactly 0) and the text's own mask.
    /// </summary>
    private PathChunk Merge(List<PathChunk> chunks)
    {
        var seqLen = chunks[0].SeqLen;
        var rowSize = seqLen * runtime.HiddenSize;
        var classes = runtime.NumClasses;
        var texts = chunks.Sum(c => c.Texts);
        var points = chunks.Max(c => c.Points);
        var rows = points * texts;
        var baseline = new float[texts * rowSize];
        var difference = new float[texts * rowSize];
        var alphas = new float[rows];
        var mask = new long[rows * seqLen];
        var types = new long[rows * seqLen];
        var seed = new float[rows * classes];
        var first = 0;
        foreach (var chunk in chunks)
        {
            Array.Copy(chunk.Baseline, 0, baseline, first * rowSize, chunk.Texts * rowSize);
            Array.Copy(chunk.Difference, 0, difference, first * rowSize, chunk.Texts * rowSize);
            for (var k = 0; k < points; k++)
            {
                for (var u = 0; u < chunk.Texts; u++)
                {
                    var row = k * texts + first + u;
                    var own = Math.Min(k, chunk.Points - 1) * chunk.Texts + u; // the row whose mask and types it takes
                    Array.Copy(chunk.Mask, own * seqLen, mask, row * seqLen, seqLen);
                    Array.Copy(chunk.Types, own * seqLen, types, row * seqLen, seqLen);
                    if (k < chunk.Points)
                    {
                        alphas[row] = chunk.Alphas[own];
                        Array.Copy(chunk.Seed, own * classes, seed, row * classes, classes);
                    }
                }
            }

            first += chunk.Texts;
        }

        return new PathChunk(baseline, difference, alphas, mask, types, seed, texts, seqLen, rows);
    }

    private sealed class Entry(PathChunk chunk, CancellationToken token)
    {
        public PathChunk Chunk => chunk;

        public CancellationToken Token => token;

        public TaskCompletionSource<float[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Entry>? Node { get; set; }
    }
}
