using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A validated, tokenized explanation request within the limits, not yet computed (<see cref="ExplainerModel.Plan"/>).
/// Its figures let a caller admit it by cost before any work is done.
/// </summary>
public sealed class ExplanationPlan
{
    internal ExplanationPlan(ExplainerModel model, ExplainRequestOptions request, EncodedText encoded, IgInput input, IgSettings settings, long tokenSteps)
    {
        Model = model;
        Request = request;
        Encoded = encoded;
        Input = input;
        Settings = settings;
        TokenSteps = tokenSteps;
    }

    /// <summary>Gets the number of tokens, special tokens included.</summary>
    public int Tokens => Encoded.Length;

    /// <summary>
    /// Gets tokens x steps (the adaptive cap in adaptive mode), times the class count with <c>AllTargets</c>: the
    /// request's cost.
    /// </summary>
    public long TokenSteps { get; }

    internal ExplainerModel Model { get; }
    internal ExplainRequestOptions Request { get; }
    internal EncodedText Encoded { get; }
    internal IgInput Input { get; }
    internal IgSettings Settings { get; }
}

/// <summary>Texts tokenized for <see cref="ExplainerModel.PredictAsync(PredictionPlan, CancellationToken)"/>, within the limits (<see cref="ExplainerModel.PlanPrediction"/>).</summary>
public sealed class PredictionPlan
{
    internal PredictionPlan(ExplainerModel model, IReadOnlyList<EncodedText> encoded, long tokens)
    {
        Model = model;
        Encoded = encoded;
        Tokens = tokens;
    }

    /// <summary>Gets the tokens of all texts together.</summary>
    public long Tokens { get; }

    internal ExplainerModel Model { get; }
    internal IReadOnlyList<EncodedText> Encoded { get; }
}
