using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// Start-up checks that need no ONNX Runtime session: configuration fields, files, and the model's signature (inputs,
/// output rank, class count). They run before a model is loaded so a bad entry fails fast with a message that names the
/// model and the problem; the runtime then checks what only running the graph can tell (cut tensor, gradient graph).
/// </summary>
public static class ModelValidator
{
    /// <summary>Checks one configured model and turns it into a definition (relative paths resolved from <paramref name="baseDirectory"/>).</summary>
    /// <param name="options">The configuration entry.</param>
    /// <param name="index">Its position in <c>BertIg:Models</c>, to name entries without a name.</param>
    /// <param name="baseDirectory">The folder relative paths are resolved from.</param>
    /// <exception cref="ModelLoadException">The entry is incomplete or a file is missing.</exception>
    public static ModelDefinition ToDefinition(ModelOptions options, int index, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var name = string.IsNullOrWhiteSpace(options.Name) ? $"BertIg:Models:{index}" : options.Name;
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            throw new ModelLoadException(name, "'Name' is required.");
        }

        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new ModelLoadException(name, "'Path' (the model.onnx file) is required.");
        }

        if (string.IsNullOrWhiteSpace(options.Vocab))
        {
            throw new ModelLoadException(name, "'Vocab' (the WordPiece vocab.txt file) is required.");
        }

        if (options.Labels.Count == 0 || options.Labels.Any(string.IsNullOrWhiteSpace))
        {
            throw new ModelLoadException(name, "'Labels' must list one non-empty label per class, in logit order.");
        }

        var duplicate = options.Labels.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ModelLoadException(name, $"label '{duplicate.Key}' appears more than once in 'Labels'.");
        }

        if (options.MaxTokens < 3)
        {
            throw new ModelLoadException(name, $"'MaxTokens' is {options.MaxTokens}; at least 3 are needed ([CLS], a token, [SEP]).");
        }

        var modelPath = Path.GetFullPath(options.Path, baseDirectory);
        var vocabPath = Path.GetFullPath(options.Vocab, baseDirectory);
        if (!File.Exists(modelPath))
        {
            throw new ModelLoadException(name, $"model file '{modelPath}' does not exist.");
        }

        if (!File.Exists(vocabPath))
        {
            throw new ModelLoadException(name, $"vocabulary file '{vocabPath}' does not exist.");
        }

        return new ModelDefinition
        {
            Name = options.Name,
            ModelPath = modelPath,
            VocabPath = vocabPath,
            Labels = [.. options.Labels],
            LowerCase = options.LowerCase,
            MaxTokens = options.MaxTokens,
            CutTensor = string.IsNullOrWhiteSpace(options.CutTensor) ? null : options.CutTensor,
            Output = string.IsNullOrWhiteSpace(options.Output) ? null : options.Output,
        };
    }

    /// <summary>Checks the ONNX file's inputs and output against the definition.</summary>
    /// <exception cref="ModelLoadException">The file is unreadable or its signature does not fit a text classifier.</exception>
    public static void CheckSignature(ModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        OnnxSignature signature;
        try
        {
            signature = OnnxSignature.Read(definition.ModelPath);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(definition.Name, $"cannot read '{definition.ModelPath}': {ex.Message}", ex);
        }

        string outputName;
        try
        {
            ClassifierSignature.CheckInputs(signature.Inputs.Select(i => i.Name).ToList());
            outputName = ClassifierSignature.ResolveOutput(signature.Outputs.Select(o => o.Name).ToList(), definition.Output);
        }
        catch (OnnxGraphException ex)
        {
            throw new ModelLoadException(definition.Name, ex.Message, ex);
        }

        var output = signature.Outputs.First(o => o.Name == outputName);

        // A shape missing from the file is left to the runtime's probe run.
        var dims = output.Type?.TensorType?.Shape?.Dim;
        if (dims is null || dims.Count == 0)
        {
            return;
        }

        if (dims.Count != 2)
        {
            throw new ModelLoadException(definition.Name, $"output '{outputName}' has rank {dims.Count}; it must be logits of shape [batch, classes].");
        }

        if (dims[1].HasDimValue && dims[1].DimValue != definition.Labels.Count)
        {
            throw new ModelLoadException(definition.Name,
                $"output '{outputName}' has {dims[1].DimValue} classes but {definition.Labels.Count} labels are configured ({string.Join(", ", definition.Labels)}).");
        }
    }
}
