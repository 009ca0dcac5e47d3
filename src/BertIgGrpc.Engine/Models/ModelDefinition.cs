namespace BertIgGrpc.Engine.Models;

/// <summary>Everything needed to load one classifier, after configuration has been resolved to files.</summary>
public sealed record ModelDefinition
{
    /// <summary>Gets the model name.</summary>
    public required string Name { get; init; }
    /// <summary>Gets the path to the ONNX file.</summary>
    public required string ModelPath { get; init; }
    /// <summary>Gets the path to the WordPiece vocabulary.</summary>
    public required string VocabPath { get; init; }
    /// <summary>Gets the labels in logit order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Gets whether the tokenizer lower-cases.</summary>
    public bool LowerCase { get; init; } = true;
    /// <summary>Gets the maximum sequence length, special tokens included.</summary>
    public int MaxTokens { get; init; } = 512;
    /// <summary>Gets the cut tensor name; null detects the embeddings LayerNorm output.</summary>
    public string? CutTensor { get; init; }
    /// <summary>Gets the logits output name; null takes <c>logits</c> or the only output.</summary>
    public string? Output { get; init; }
}

/// <summary>ONNX Runtime settings shared by all models.</summary>
public sealed record RuntimeSettings
{
    /// <summary>Gets the provider preference: <c>auto</c>, <c>cuda</c> or <c>cpu</c>.</summary>
    public string ExecutionProvider { get; init; } = "auto";
    /// <summary>Gets the intra-op thread count (0: ONNX Runtime's choice).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>Gets the inter-op thread count (0: ONNX Runtime's choice).</summary>
    public int InterOpThreads { get; init; }
    /// <summary>Gets the default interpolation rows per run.</summary>
    public int DefaultInternalBatchSize { get; init; } = 25;
    /// <summary>Gets whether CUDA may use TF32 matrix products (faster, about 1e-3 relative error). Defaults to false.</summary>
    public bool CudaTf32 { get; init; }
    /// <summary>Gets the per-request limits and the memory budget of one run.</summary>
    public BertIgLimitsOptions Limits { get; init; } = new();
}
