using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A loaded classifier: its tokenizer, its ONNX Runtime sessions (forward and gradient graph,
/// created once and shared by concurrent calls) and the attribution engine bound to them.
/// </summary>
public sealed class ExplainerModel : IDisposable
{
    /// <summary>Gets the model name.</summary>
    public string Name { get; } = "";
    /// <summary>Gets the class labels in logit order.</summary>
    public IReadOnlyList<string> Labels { get; } = [];
    /// <summary>Gets the maximum sequence length, special tokens included.</summary>
    public int MaxTokens { get; }
    /// <summary>Gets the name of the tensor attributions are taken at.</summary>
    public string CutTensor { get; } = "";
    /// <summary>Gets the hex sha256 of the model file.</summary>
    public string Sha256 { get; } = "";
    /// <summary>Gets the execution provider the sessions run on.</summary>
    public string ExecutionProvider { get; } = "";
    /// <summary>Gets the hidden size at the cut.</summary>
    public int HiddenSize { get; }

    /// <summary>Explains one text. Throws <see cref="InvalidExplainRequestException"/> for input the model cannot take.</summary>
    public Task<Explanation> ExplainAsync(ExplainRequestOptions request, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Explains several texts in one call; their rows are batched together, each with its own target.</summary>
    public Task<IReadOnlyList<Explanation>> ExplainManyAsync(IReadOnlyList<ExplainRequestOptions> requests, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Classifies texts in padded batches.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts, bool truncate = false)
        => throw new NotImplementedException();

    /// <inheritdoc />
    public void Dispose() => throw new NotImplementedException();
}
