using System.Collections.Concurrent;
using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// Passes every call to a real runtime and records the runs: forward runs, and per path-gradient run its rows and the
/// class each row's seed selects (the seed's one nonzero entry; -1 for a row whose seed is not one-hot).
/// </summary>
internal sealed class CountingRuntime(IAttributionRuntime inner) : IAttributionRuntime
{
    private int _forwardRuns;

    public string ExecutionProvider => inner.ExecutionProvider;
    public int NumClasses => inner.NumClasses;
    public int HiddenSize => inner.HiddenSize;
    public bool UsesTokenTypeIds => inner.UsesTokenTypeIds;
    public string CutTensor => inner.CutTensor;
    public string CutDescription => inner.CutDescription;

    /// <summary>Gets the forward runs (token ids in, cut and logits out).</summary>
    public int ForwardRuns => Volatile.Read(ref _forwardRuns);

    /// <summary>Gets, per gradient run (path or plain), the seeded class of each row.</summary>
    public ConcurrentQueue<int[]> GradientRuns { get; } = new();

    public void Reset()
    {
        Volatile.Write(ref _forwardRuns, 0);
        GradientRuns.Clear();
    }

    public long ActivationBytesPerRow(int seqLen) => inner.ActivationBytesPerRow(seqLen);

    public ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _forwardRuns);
        return inner.Forward(inputIds, attentionMask, tokenTypeIds, rows, seqLen, cancellationToken);
    }

    public float[] Logits(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _forwardRuns);
        return inner.Logits(inputIds, attentionMask, tokenTypeIds, rows, seqLen, cancellationToken);
    }

    public GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        GradientRuns.Enqueue(SeededClasses(seed, rows));
        return inner.Gradient(cut, attentionMask, tokenTypeIds, seed, rows, seqLen, cancellationToken);
    }

    public float[] PathGradient(
        float[] baseline, float[] difference, float[] alphas, long[] attentionMask, long[] tokenTypeIds, float[] seed, int texts, int seqLen,
        CancellationToken cancellationToken = default)
    {
        GradientRuns.Enqueue(SeededClasses(seed, alphas.Length)); // one interpolation point per row
        return inner.PathGradient(baseline, difference, alphas, attentionMask, tokenTypeIds, seed, texts, seqLen, cancellationToken);
    }

    public void Dispose() => inner.Dispose();

    private int[] SeededClasses(float[] seed, int rows)
    {
        var classes = NumClasses;
        var seeded = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            var nonzero = Enumerable.Range(0, classes).Where(c => seed[r * classes + c] != 0).ToArray();
            seeded[r] = nonzero.Length == 1 ? nonzero[0] : -1;
        }

        return seeded;
    }
}
