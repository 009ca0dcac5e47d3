namespace BertIgGrpc.Engine.Execution;

/// <summary>
/// The two ONNX Runtime computations Integrated Gradients needs, on one loaded model:
/// a forward pass from token ids (returning the activations at the cut and the logits), and a
/// gradient pass that starts at the cut. Implementations are thread-safe.
/// All arrays are row-major and dense; <c>rows</c> is the batch size, <c>seqLen</c> the padded length.
/// </summary>
public interface IAttributionRuntime : IDisposable
{
    /// <summary>Gets the execution provider the sessions run on (e.g. <c>CPUExecutionProvider</c>).</summary>
    string ExecutionProvider { get; }

    /// <summary>Gets the number of classes (logits per row).</summary>
    int NumClasses { get; }

    /// <summary>Gets the hidden size: the last dimension of the cut tensor <c>[rows, seqLen, hidden]</c>.</summary>
    int HiddenSize { get; }

    /// <summary>Gets whether the model takes a <c>token_type_ids</c> input.</summary>
    bool UsesTokenTypeIds { get; }

    /// <summary>Gets the name of the cut tensor.</summary>
    string CutTensor { get; }

    /// <summary>Gets where the cut sits, in words for users (e.g. "the embeddings LayerNorm output"); the tensor name by default.</summary>
    string CutDescription => $"tensor '{CutTensor}'";

    /// <summary>
    /// Estimates the memory one row of a <see cref="Gradient"/> run of <paramref name="seqLen"/> tokens holds at its peak
    /// (activations kept for the backward pass and the gradients in flight), in bytes; 0 when unknown.
    /// </summary>
    long ActivationBytesPerRow(int seqLen) => 0;

    /// <summary>Forward pass. Returns the cut activations <c>[rows, seqLen, hidden]</c> and logits <c>[rows, classes]</c>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the run in flight is stopped, not only the next one.</exception>
    ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default);

    /// <summary>Forward pass for classification only: logits <c>[rows, classes]</c>, without copying the cut activations out.</summary>
    float[] Logits(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
        => Forward(inputIds, attentionMask, tokenTypeIds, rows, seqLen, cancellationToken).Logits;

    /// <summary>
    /// Runs the model from the cut with <paramref name="cut"/> <c>[rows, seqLen, hidden]</c> fed in place of the
    /// layer's output. Returns logits <c>[rows, classes]</c> and the gradient of
    /// <c>sum_r seed[r] . logits[r]</c> with respect to the cut, <c>[rows, seqLen, hidden]</c>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the run in flight is stopped, not only the next one.</exception>
    GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen, CancellationToken cancellationToken = default);

    /// <summary>
    /// Integrates one chunk of the path for <paramref name="texts"/> texts: row <c>k * texts + t</c> is
    /// <c>baseline[t] + alphas[k * texts + t] * difference[t]</c> (<c>[seqLen, hidden]</c> each, in float, as Captum
    /// scales; <paramref name="alphas"/> has one point per row, <c>[K, texts]</c>, so texts may sit at different points), and the
    /// result is the sum over the chunk's points k of the gradient of <c>sum_r seed[r] . logits[r]</c> at those rows,
    /// <c>[texts, seqLen, hidden]</c>. <paramref name="attentionMask"/>, <paramref name="tokenTypeIds"/> and
    /// <paramref name="seed"/> are per row. This default forms the rows here and calls <see cref="Gradient"/>; a runtime
    /// on a device forms and sums them there.
    /// </summary>
    float[] PathGradient(
        float[] baseline, float[] difference, float[] alphas, long[] attentionMask, long[] tokenTypeIds, float[] seed, int texts, int seqLen,
        CancellationToken cancellationToken = default)
    {
        var rowSize = seqLen * HiddenSize;
        var rows = alphas.Length;
        var points = rows / texts;
        var cut = new float[rows * rowSize];                                  // [K * T, S, H]
        Parallel.For(0, rows, row =>
        {
            var alpha = alphas[row];
            var b = baseline.AsSpan(row % texts * rowSize, rowSize);
            var d = difference.AsSpan(row % texts * rowSize, rowSize);
            var target = cut.AsSpan(row * rowSize, rowSize);
            for (var i = 0; i < rowSize; i++) target[i] = b[i] + alpha * d[i];
        });

        var gradient = Gradient(cut, attentionMask, tokenTypeIds, seed, rows, seqLen, cancellationToken).Gradient;
        if (gradient.Length != cut.Length)
        {
            throw new InvalidOperationException($"The runtime returned a gradient of {gradient.Length} values for a cut of {cut.Length}.");
        }

        var sum = new float[texts * rowSize];                                 // [T, S, H]
        Parallel.For(0, texts, t =>
        {
            var acc = new double[rowSize];
            for (var k = 0; k < points; k++)
            {
                var g = gradient.AsSpan((k * texts + t) * rowSize, rowSize);
                for (var i = 0; i < rowSize; i++) acc[i] += g[i];
            }

            for (var i = 0; i < rowSize; i++) sum[t * rowSize + i] = (float)acc[i];
        });
        return sum;
    }
}

/// <summary>Output of <see cref="IAttributionRuntime.Forward"/>.</summary>
/// <param name="Cut">Activations at the cut, <c>[rows, seqLen, hidden]</c>.</param>
/// <param name="Logits">Logits, <c>[rows, classes]</c>.</param>
public sealed record ForwardResult(float[] Cut, float[] Logits);

/// <summary>Output of <see cref="IAttributionRuntime.Gradient"/>.</summary>
/// <param name="Logits">Logits at the fed cut values, <c>[rows, classes]</c>.</param>
/// <param name="Gradient">d(seed . logits)/d(cut), <c>[rows, seqLen, hidden]</c>.</param>
public sealed record GradientResult(float[] Logits, float[] Gradient);
