using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// Wraps the real ONNX Runtime computations of the test server's model: counts the gradient runs that start, and on
/// request holds one of them until the test releases it. A call is then "still working" by construction (however fast
/// the machine), and the count tells whether any gradient run started after a cancellation.
/// </summary>
internal sealed class HeldRuntime(IAttributionRuntime inner) : IAttributionRuntime
{
    private readonly object _lock = new();
    private Hold? _hold;
    private int _gradientRuns;

    /// <summary>Gets the number of gradient runs started since the model loaded.</summary>
    public int GradientRuns => Volatile.Read(ref _gradientRuns);

    public string ExecutionProvider => inner.ExecutionProvider;

    public int NumClasses => inner.NumClasses;

    public int HiddenSize => inner.HiddenSize;

    public bool UsesTokenTypeIds => inner.UsesTokenTypeIds;

    public string CutTensor => inner.CutTensor;

    /// <summary>Holds the <paramref name="run"/>-th gradient run from now (1: the next one) until the returned hold is released or disposed.</summary>
    public Hold HoldRun(int run = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(run, 1);
        lock (_lock)
        {
            Assert.Null(_hold);
            _hold = new Hold(this, GradientRuns + run);
            return _hold;
        }
    }

    public ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen)
        => inner.Forward(inputIds, attentionMask, tokenTypeIds, rows, seqLen);

    public GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen)
    {
        var run = Interlocked.Increment(ref _gradientRuns);
        Hold? hold;
        lock (_lock)
        {
            hold = _hold?.Run == run ? _hold : null;
        }

        if (hold is not null)
        {
            hold.Entered.TrySetResult();
            // Bounded, so a test that forgets to release cannot hang the server.
            hold.Released.Wait(TimeSpan.FromMinutes(2));
        }

        return inner.Gradient(cut, attentionMask, tokenTypeIds, seed, rows, seqLen);
    }

    public void Dispose() => inner.Dispose();

    /// <summary>One held gradient run.</summary>
    internal sealed class Hold(HeldRuntime owner, int run) : IDisposable
    {
        /// <summary>Gets the run number (counted since the model loaded) that is held.</summary>
        public int Run { get; } = run;

        /// <summary>Gets a task that completes when the held run has started (and is waiting).</summary>
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal ManualResetEventSlim Released { get; } = new();

        /// <summary>Waits until the held run has started; fails the test after <paramref name="timeout"/>.</summary>
        public async Task WaitEnteredAsync(TimeSpan timeout)
        {
            var entered = Entered.Task;
            Assert.Same(entered, await Task.WhenAny(entered, Task.Delay(timeout)));
        }

        /// <summary>Lets the held run continue.</summary>
        public void Release() => Released.Set();

        public void Dispose()
        {
            Release();
            lock (owner._lock)
            {
                if (ReferenceEquals(owner._hold, this))
                {
                    owner._hold = null;
                }
            }
        }
    }
}
