namespace BertIgGrpc.Engine.Execution;

/// <summary>ONNX Runtime settings shared by all models.</summary>
public sealed record RuntimeSettings
{
    /// <summary>Gets the provider preference: <c>auto</c>, <c>cuda</c> or <c>cpu</c>.</summary>
    public string ExecutionProvider { get; init; } = "auto";
    /// <summary>Gets the intra-op thread count (0: ONNX Runtime's choice).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>Gets the inter-op thread count (0: ONNX Runtime's choice).</summary>
    public int InterOpThreads { get; init; }
    /// <summary>The interpolation rows per run on CPU when neither the request nor the configuration says.</summary>
    public const int StandardInternalBatchSize = 25;

    /// <summary>Gets the interpolation rows per run on CPU when a request leaves it at 0.</summary>
    public int DefaultInternalBatchSize { get; init; } = StandardInternalBatchSize;
    /// <summary>The time, in milliseconds, a Predict waits for others to share its forward runs when the configuration does not say.</summary>
    public const double StandardPredictBatchWaitMs = 2;

    /// <summary>
    /// Gets how long, in milliseconds, the first Predict of a burst waits for concurrent ones on the same model before
    /// their texts run together (<see cref="PredictBatcher"/>). 0: no wait (texts queued meanwhile still share runs);
    /// negative: every Predict runs its own texts. Defaults to <see cref="StandardPredictBatchWaitMs"/>.
    /// </summary>
    public double PredictBatchWaitMs { get; init; } = StandardPredictBatchWaitMs;
    /// <summary>Gets whether CUDA may use TF32 matrix products (faster, about 1e-3 relative error). Defaults to false.</summary>
    public bool CudaTf32 { get; init; }
    /// <summary>Gets how many models the server loads; on one GPU they share its default run budget. Defaults to 1.</summary>
    public int Models { get; init; } = 1;
    /// <summary>Gets the per-request limits and the memory budget of one run.</summary>
    public BertIgLimitsOptions Limits { get; init; } = new();
}
