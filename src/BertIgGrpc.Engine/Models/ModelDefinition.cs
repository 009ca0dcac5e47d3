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
