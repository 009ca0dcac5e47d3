namespace BertIgGrpc.Engine;

/// <summary>Base class of the engine's errors that callers can act on (bad input, bad model).</summary>
public abstract class EngineException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The request is invalid for this model (too long, unknown target, ...). <see cref="Field"/> names the request field at fault.</summary>
public sealed class InvalidExplainRequestException(string field, string message) : EngineException(message)
{
    /// <summary>Gets the request field at fault (proto name, e.g. <c>text</c>, <c>target_label</c>).</summary>
    public string Field { get; } = field;
}

/// <summary>No model with that name is loaded.</summary>
public sealed class ModelNotFoundException(string name, IReadOnlyList<string> available)
    : EngineException($"Model '{name}' is not loaded. Loaded models: {string.Join(", ", available)}.")
{
    /// <summary>Gets the name that was asked for.</summary>
    public string Name { get; } = name;
}

/// <summary>A model cannot be loaded or used; the message names the model and the problem.</summary>
public sealed class ModelLoadException(string model, string problem, Exception? inner = null)
    : EngineException($"Model '{model}': {problem}", inner)
{
    /// <summary>Gets the model name.</summary>
    public string Model { get; } = model;
}

/// <summary>The ONNX graph cannot be differentiated or edited as asked (unsupported op, missing tensor, ...).</summary>
public sealed class OnnxGraphException(string message) : EngineException(message);

/// <summary>
/// The request is valid but larger than a configured limit allows (<c>BertIg:Limits:*</c>); a smaller request would be
/// served. The message names the limit, its value and the request's figure.
/// </summary>
public sealed class RequestLimitExceededException(string limit, long figure, long maximum, string message) : EngineException(message)
{
    /// <summary>Gets the configuration key of the limit, e.g. <c>BertIg:Limits:MaxTokenSteps</c>.</summary>
    public string Limit { get; } = limit;

    /// <summary>Gets the request's figure (e.g. its tokens x steps).</summary>
    public long Figure { get; } = figure;

    /// <summary>Gets the limit's value.</summary>
    public long Maximum { get; } = maximum;
}
