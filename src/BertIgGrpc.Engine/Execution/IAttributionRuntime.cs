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

    /// <summary>
    /// Estimates the memory one row of a <see cref="Gradient"/> run of <paramref name="seqLen"/> tokens holds at its peak
    /// (activations kept for the backward pass and the gradients in flight), in bytes; 0 when unknown.
    /// </summary>
    long ActivationBytesPerRow(int seqLen) => 0;

    /// <summary>Forward pass. Returns the cut activations <c>[rows, seqLen, hidden]</c> and logits <c>[rows, classes]</c>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the run in flight is stopped, not only the next one.</exception>
    ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the model from the cut with <paramref name="cut"/> <c>[rows, seqLen, hidden]</c> fed in place of the
    /// layer's output. Returns logits <c>[rows, classes]</c> and the gradient of
    /// <c>sum_r seed[r] . logits[r]</c> with respect to the cut, <c>[rows, seqLen, hidden]</c>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the run in flight is stopped, not only the next one.</exception>
    GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen, CancellationToken cancellationToken = default);
}

/// <summary>Output of <see cref="IAttributionRuntime.Forward"/>.</summary>
/// <param name="Cut">Activations at the cut, <c>[rows, seqLen, hidden]</c>.</param>
/// <param name="Logits">Logits, <c>[rows, classes]</c>.</param>
public sealed record ForwardResult(float[] Cut, float[] Logits);

/// <summary>Output of <see cref="IAttributionRuntime.Gradient"/>.</summary>
/// <param name="Logits">Logits at the fed cut values, <c>[rows, classes]</c>.</param>
/// <param name="Gradient">d(seed . logits)/d(cut), <c>[rows, seqLen, hidden]</c>.</param>
public sealed record GradientResult(float[] Logits, float[] Gradient);
