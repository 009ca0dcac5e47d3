namespace BertIgGrpc.Engine.Onnx;

/// <summary>
/// What a text classifier export must look like: inputs <c>input_ids</c>, <c>attention_mask</c> and optionally
/// <c>token_type_ids</c>, and one logits output. One place for the rules and their messages, used by the fast
/// start-up check (signature only) and by the runtime (which loads the graph).
/// </summary>
public static class ClassifierSignature
{
    /// <summary>The token ids input.</summary>
    public const string InputIds = "input_ids";

    /// <summary>The attention mask input.</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>The optional token type (segment) ids input.</summary>
    public const string TokenTypeIds = "token_type_ids";

    /// <summary>The output name taken when none is configured and the model has several outputs.</summary>
    public const string DefaultOutput = "logits";

    /// <summary>Checks the graph inputs; throws <see cref="OnnxGraphException"/> naming what is missing or unexpected.</summary>
    public static void CheckInputs(IReadOnlyCollection<string> inputs)
    {
        var missing = new[] { InputIds, AttentionMask }.Where(r => !inputs.Contains(r)).ToList();
        if (missing.Count > 0)
        {
            throw new OnnxGraphException(
                $"the model has no {string.Join(" or ", missing.Select(m => $"'{m}'"))} input (inputs: {string.Join(", ", inputs)}); a classifier must take input_ids and attention_mask, and optionally token_type_ids.");
        }

        var unexpected = inputs.Except([InputIds, AttentionMask, TokenTypeIds]).ToList();
        if (unexpected.Count > 0)
        {
            throw new OnnxGraphException(
                $"unexpected model inputs {string.Join(", ", unexpected)}; a classifier must take input_ids and attention_mask, and optionally token_type_ids.");
        }
    }

    /// <summary>
    /// The logits output: <paramref name="requested"/> when set, else <c>logits</c>, else the only output.
    /// Throws <see cref="OnnxGraphException"/> when it is ambiguous or not an output.
    /// </summary>
    public static string ResolveOutput(IReadOnlyCollection<string> outputs, string? requested)
    {
        var name = !string.IsNullOrWhiteSpace(requested) ? requested
            : outputs.Contains(DefaultOutput) ? DefaultOutput
            : outputs.Count == 1 ? outputs.First()
            : throw new OnnxGraphException($"the model has several outputs ({string.Join(", ", outputs)}) and none is named 'logits'; set 'Output'.");
        return outputs.Contains(name)
            ? name
            : throw new OnnxGraphException($"output '{name}' is not a model output (outputs: {string.Join(", ", outputs)}).");
    }
}
