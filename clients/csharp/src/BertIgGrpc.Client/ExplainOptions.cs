using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Contracts.Validation;

namespace BertIgGrpc.Client;

/// <summary>Optional settings of one explanation; every unset property leaves the server's default in place.</summary>
public sealed record ExplainOptions
{
    /// <summary>Gets the model name; <c>null</c> selects the server's default model.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the optional second segment (token type 1) for sentence-pair classifiers.</summary>
    public string? TextPair { get; init; }

    /// <summary>Gets the class index to explain. Set at most one of <see cref="TargetIndex"/> and <see cref="TargetLabel"/>; neither explains the predicted class.</summary>
    public int? TargetIndex { get; init; }

    /// <summary>Gets the class label to explain (e.g. <c>positive</c>).</summary>
    public string? TargetLabel { get; init; }

    /// <summary>Gets the number of integration steps; <c>null</c> means the server's default (50).</summary>
    public int? Steps { get; init; }

    /// <summary>Gets the integration rule; <c>null</c> sends UNSPECIFIED: the server's default, Gauss-Legendre (Captum's default).</summary>
    public IntegrationMethod? Method { get; init; }

    /// <summary>Gets the baseline the input is compared against; <c>null</c> sends UNSPECIFIED: the server's default, PAD.</summary>
    public Baseline? Baseline { get; init; }

    /// <summary>Gets the interpolation rows per ONNX Runtime run; <c>null</c> lets the server choose.</summary>
    public int? InternalBatchSize { get; init; }

    /// <summary>Gets the relative convergence tolerance; a value above 0 turns on adaptive steps.</summary>
    public double? Tolerance { get; init; }

    /// <summary>Gets the cap on the step count in adaptive mode; <c>null</c> means 2048.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Gets whether texts longer than the model's token limit are cut instead of rejected (an alias of <see cref="LongText"/> = TRUNCATE).</summary>
    public bool Truncate { get; init; }

    /// <summary>
    /// Gets what happens to a text over the model's token limit; <c>null</c> sends UNSPECIFIED: rejected, unless
    /// <see cref="Truncate"/> is set. <see cref="Contracts.V1.LongText.Windows"/> explains the whole text in overlapping
    /// windows (<see cref="ExplainResult.Windows"/>).
    /// </summary>
    public LongText? LongText { get; init; }

    /// <summary>Gets, for <see cref="Contracts.V1.LongText.Windows"/>, the tokens between window starts; <c>null</c> means half a window.</summary>
    public int? WindowStride { get; init; }

    /// <summary>Gets whether one attribution list per class is returned as well (<see cref="ExplainResult.PerTarget"/>).</summary>
    public bool AllTargets { get; init; }

    /// <summary>Gets whether ERASER faithfulness scores are returned as well (<see cref="ExplainResult.Faithfulness"/>).</summary>
    public bool Faithfulness { get; init; }

    /// <summary>Gets whether gradients are multiplied by (input - baseline); <c>null</c> means true (Captum's default).</summary>
    public bool? MultiplyByInputs { get; init; }

    /// <summary>Gets the deadline of this call; <c>null</c> uses <see cref="BertIgClientOptions.DefaultDeadline"/>.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>Builds the wire request of the streaming Explain RPC for <paramref name="text"/>.</summary>
    /// <param name="text">The text to explain.</param>
    /// <returns>The request; it is not validated here.</returns>
    /// <exception cref="BertIgValidationException">Both <see cref="TargetIndex"/> and <see cref="TargetLabel"/> are set (the proto oneof holds one).</exception>
    public ExplainRequest ToRequest(string text) => Fill(new ExplainRequest(), text);

    /// <summary>Builds the wire request of the ExplainUnary RPC for <paramref name="text"/> (the same fields as <see cref="ToRequest"/>).</summary>
    /// <param name="text">The text to explain.</param>
    /// <returns>The request; it is not validated here.</returns>
    /// <exception cref="BertIgValidationException">Both <see cref="TargetIndex"/> and <see cref="TargetLabel"/> are set (the proto oneof holds one).</exception>
    public ExplainUnaryRequest ToUnaryRequest(string text) => Fill(new ExplainUnaryRequest(), text);

    private T Fill<T>(T request, string text) where T : IExplainParameters
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TargetIndex is not null && TargetLabel is not null)
        {
            throw new BertIgValidationException([new FieldViolation("target", "set either target_index or target_label, not both")]);
        }

        request.Text = text;
        request.Model = Model ?? string.Empty;
        request.TextPair = TextPair ?? string.Empty;
        request.NSteps = Steps ?? 0;
        request.Method = Method ?? IntegrationMethod.Unspecified;
        request.Baseline = Baseline ?? Contracts.V1.Baseline.Unspecified;
        request.InternalBatchSize = InternalBatchSize ?? 0;
        request.Tolerance = Tolerance ?? 0;
        request.MaxSteps = MaxSteps ?? 0;
        request.Truncate = Truncate;
        request.LongText = LongText ?? Contracts.V1.LongText.Unspecified;
        request.WindowStride = WindowStride ?? 0;
        request.AllTargets = AllTargets;
        request.Faithfulness = Faithfulness;
        if (TargetIndex is { } index)
        {
            request.TargetIndex = index;
        }
        else if (TargetLabel is not null)
        {
            request.TargetLabel = TargetLabel;
        }

        if (MultiplyByInputs is { } multiply)
        {
            request.MultiplyByInputs = multiply;
        }

        return request;
    }
}
