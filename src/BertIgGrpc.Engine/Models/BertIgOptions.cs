using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Engine.Models;

/// <summary>Engine configuration, bound from the <c>BertIg</c> configuration section.</summary>
public sealed class BertIgOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "BertIg";

    /// <summary>Gets or sets the cache directory for materialised models. Defaults to <c>$XDG_CACHE_HOME/bertig</c>, else <c>~/.cache/bertig</c>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Gets or sets whether the embedded default model (<c>minilm-sentiment</c>) is loaded. Defaults to true.</summary>
    public bool EnableDefaultModel { get; set; } = true;

    /// <summary>Gets or sets the name of the default model (used when a request names none). Defaults to the first configured model, else <c>minilm-sentiment</c>.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>Gets or sets the user models.</summary>
    public List<ModelOptions> Models { get; set; } = [];

    /// <summary>Gets or sets the execution provider preference: <c>auto</c> (CUDA when it loads, else CPU), <c>cuda</c> or <c>cpu</c>. Defaults to <c>auto</c>.</summary>
    public string ExecutionProvider { get; set; } = "auto";

    /// <summary>
    /// Gets or sets whether CUDA may use TF32 matrix products: faster on Ampere and later GPUs, but attributions then
    /// differ from float32 (and from Captum) by about 1e-3 relative. Defaults to false.
    /// </summary>
    public bool CudaTf32 { get; set; }

    /// <summary>Gets or sets ONNX Runtime's intra-op thread count; 0 lets ONNX Runtime choose. Defaults to 0.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Gets or sets ONNX Runtime's inter-op thread count; 0 lets ONNX Runtime choose. Defaults to 0.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>
    /// Gets or sets the interpolation rows per ONNX Runtime run on CPU when a request leaves it at 0. Defaults to 25. On
    /// CUDA such requests get as many rows per run as the memory budget (<c>Limits:MaxGpuRunMemoryMB</c>) allows.
    /// </summary>
    public int DefaultInternalBatchSize { get; set; } = RuntimeSettings.StandardInternalBatchSize;

    /// <summary>
    /// Gets or sets how long, in milliseconds, the first Predict of a burst waits for concurrent ones on the same model so
    /// that their texts share forward runs. 0: no wait; negative: no sharing. Defaults to 2.
    /// </summary>
    public double PredictBatchWaitMs { get; set; } = RuntimeSettings.StandardPredictBatchWaitMs;

    /// <summary>Gets or sets the per-request limits and the memory budget of one ONNX Runtime run (section <c>BertIg:Limits</c>).</summary>
    public BertIgLimitsOptions Limits { get; set; } = new();

    /// <summary>Gets the effective cache directory.</summary>
    public string ResolveCacheDirectory()
    {
        if (!string.IsNullOrWhiteSpace(CacheDirectory))
        {
            return Path.GetFullPath(CacheDirectory);
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "bertig");
    }
}

/// <summary>One user model (a Hugging Face-style ONNX export plus its WordPiece vocabulary).</summary>
public sealed class ModelOptions
{
    /// <summary>Gets or sets the model name clients use. Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>Gets or sets the path to <c>model.onnx</c>. Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>Gets or sets the path to the WordPiece <c>vocab.txt</c>. Required.</summary>
    public string Vocab { get; set; } = "";

    /// <summary>Gets or sets the class labels, in logit order. Required.</summary>
    public List<string> Labels { get; set; } = [];

    /// <summary>Gets or sets whether the tokenizer lower-cases (uncased models). Defaults to true.</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>Gets or sets the maximum sequence length, special tokens included. Defaults to 512.</summary>
    public int MaxTokens { get; set; } = 512;

    /// <summary>Gets or sets the tensor to attribute to; empty finds the embeddings LayerNorm output automatically.</summary>
    public string? CutTensor { get; set; }

    /// <summary>Gets or sets the logits output name; empty takes <c>logits</c> or the only output.</summary>
    public string? Output { get; set; }
}
