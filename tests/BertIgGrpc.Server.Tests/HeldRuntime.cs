using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// Wraps the real ONNX Runtime computations of a test server's model. On request it holds every gradient run (and, when
/// asked, every Predict forward run) until the test releases them, so that a call is "still working" by construction
/// (however fast the machine), and it counts the gradient runs that start, which tells whether work went on after a cancellation.
/// </summary>
/// <remarks>
/// While runs are held the engine cannot finish one, so it can start no more than the runs it keeps in flight (two,
/// <c>LayerIntegratedGradients</c>' default); an engine that ignores a cancellation starts every remaining run once released.
/// </remarks>
internal sealed class HeldRuntime(IAttributionRuntime inner) : IAttributionRuntime
{
    private Hold? _hold;

    public string ExecutionProvider => inner.ExecutionProvider;

    public int NumClasses => inner.NumClasses;

    public int HiddenSize => inner.HiddenSize;

    public bool UsesTokenTypeIds => inner.UsesTokenTypeIds;

    public string CutTensor => inner.CutTensor;

    public string CutDescription => inner.CutDescription;

    public long ActivationBytesPerRow(int seqLen) => inner.ActivationBytesPerRow(seqLen);

    /// <summary>
    /// Holds every gradient run (with <paramref name="gradients"/>) from now on until the returned hold is released, and
    /// counts them until disposed; with <paramref name="predictions"/> it holds the forward runs of Predict
    /// (<see cref="Logits"/>) too, without counting them.
    /// </summary>
    public Hold HoldRuns(bool gradients = true, bool predictions = false)
    {
        var hold = new Hold(this, gradients, predictions);
        Assert.Null(Interlocked.CompareExchange(ref _hold, hold, null));
        return hold;
    }

    public ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
        => inner.Forward(inputIds, attentionMask, tokenTypeIds, rows, seqLen, cancellationToken);

    public float[] Logits(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _hold) is { Predictions: true } hold)
        {
            hold.Enter(count: false);
        }

        return inner.Logits(inputIds, attentionMask, tokenTypeIds, rows, seqLen, cancellationToken);
    }

    public GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _hold) is { Gradients: true } hold)
        {
            hold.Enter();
        }

        return inner.Gradient(cut, attentionMask, tokenTypeIds, seed, rows, seqLen, cancellationToken);
    }

    public float[] PathGradient(
        float[] baseline, float[] difference, float[] alphas, long[] attentionMask, long[] tokenTypeIds, float[] seed, int texts, int seqLen,
        CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _hold) is { Gradients: true } hold)
        {
            hold.Enter();
        }

        return inner.PathGradient(baseline, difference, alphas, attentionMask, tokenTypeIds, seed, texts, seqLen, cancellationToken);
    }

    public void Dispose() => inner.Dispose();

    /// <summary>Held gradient runs: every run waits until <see cref="Release"/>, and each is counted.</summary>
    internal sealed class Hold(HeldRuntime owner, bool gradients, bool predictions) : IDisposable
    {
        private readonly TaskCompletionSource _firstEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _released = new();
        private int _runs;

        /// <summary>Gets whether gradient runs are held.</summary>
        public bool Gradients => gradients;

        /// <summary>Gets whether Predict runs are held.</summary>
        public bool Predictions => predictions;

        /// <summary>Gets the number of gradient runs started since the hold began (held or, after release, not).</summary>
        public int Runs => Volatile.Read(ref _runs);

        /// <summary>Waits until a gradient run has started (and waits); fails the test after <paramref name="timeout"/>.</summary>
        public async Task WaitEnteredAsync(TimeSpan timeout)
        {
            var entered = _firstEntered.Task;
            Assert.Same(entered, await Task.WhenAny(entered, Task.Delay(timeout)));
        }

        /// <summary>Lets the held runs, and all later ones, continue.</summary>
        public void Release() => _released.Set();

        public void Dispose()
        {
            Release();
            Interlocked.CompareExchange(ref owner._hold, null, this);
        }

        internal void Enter(bool count = true)
        {
            if (count)
            {
                Interlocked.Increment(ref _runs);
            }

            _firstEntered.TrySetResult();
            // Bounded, so that a test that forgets to release cannot hang the server.
            _released.Wait(TimeSpan.FromMinutes(2));
        }
    }
}
