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
    /// <summary>Gets whether CUDA may use TF32 matrix products (faster, about 1e-3 relative error). Defaults to false.</summary>
    public bool CudaTf32 { get; init; }
    /// <summary>Gets the per-request limits and the memory budget of one run.</summary>
    public BertIgLimitsOptions Limits { get; init; } = new();
}
