namespace BertIgGrpc.Engine.Attribution;

/// <summary>Numerical integration rule along the path from baseline to input (Captum's approximation methods).</summary>
public enum IntegrationMethod
{
    /// <summary>Gauss-Legendre quadrature (Captum's <c>gausslegendre</c>, the default).</summary>
    GaussLegendre = 0,
    /// <summary>Captum's <c>riemann_left</c>.</summary>
    RiemannLeft = 1,
    /// <summary>Captum's <c>riemann_right</c>.</summary>
    RiemannRight = 2,
    /// <summary>Captum's <c>riemann_middle</c>.</summary>
    RiemannMiddle = 3,
    /// <summary>Captum's <c>riemann_trapezoid</c> (weights sum to 1 - 1/n, as in Captum).</summary>
    RiemannTrapezoid = 4,
}

/// <summary>What the input is compared against.</summary>
public enum BaselineKind
{
    /// <summary>Every non-special token replaced by [PAD] (the seed recipe).</summary>
    Pad = 0,
    /// <summary>Every non-special token replaced by [MASK].</summary>
    Mask = 1,
    /// <summary>Every non-special token replaced by [UNK].</summary>
    Unk = 2,
    /// <summary>The zero tensor at the attribution layer.</summary>
    Zero = 3,
}

/// <summary>What happens to a text longer than the model's token limit.</summary>
public enum LongTextMode
{
    /// <summary>Refuse it (<see cref="InvalidExplainRequestException"/> on field <c>text</c>), the default.</summary>
    Reject = 0,
    /// <summary>Cut it to the model's token limit.</summary>
    Truncate = 1,
    /// <summary>
    /// Overlapping windows of the model's maximum length, <see cref="ExplainRequestOptions.WindowStride"/> tokens apart;
    /// the whole-text prediction is the mean of the windows' logits.
    /// </summary>
    Windows = 2,
}

/// <summary>One explanation request for the engine.</summary>
public sealed record ExplainRequestOptions
{
    /// <summary>Integration steps when a request does not say (the wire contract's <c>n_steps = 0</c>).</summary>
    public const int DefaultSteps = 50;

    /// <summary>Adaptive step cap when a request does not say (the wire contract's <c>max_steps = 0</c>).</summary>
    public const int DefaultMaxSteps = 2048;

    /// <summary>The integration rule used when none is chosen: Gauss-Legendre (Captum's default).</summary>
    public const IntegrationMethod DefaultMethod = IntegrationMethod.GaussLegendre;

    /// <summary>The baseline used when none is chosen: <see cref="BaselineKind.Pad"/>.</summary>
    public const BaselineKind DefaultBaseline = BaselineKind.Pad;

    /// <summary>Gets the text to explain. Required.</summary>
    public required string Text { get; init; }

    /// <summary>Gets the optional second segment (token type 1).</summary>
    public string? TextPair { get; init; }

    /// <summary>Gets the target class index; null (with <see cref="TargetLabel"/> null) explains the predicted class.</summary>
    public int? TargetIndex { get; init; }

    /// <summary>Gets the target class label; alternative to <see cref="TargetIndex"/>.</summary>
    public string? TargetLabel { get; init; }

    /// <summary>Gets the number of integration steps. Defaults to <see cref="DefaultSteps"/>.</summary>
    public int Steps { get; init; } = DefaultSteps;

    /// <summary>Gets the integration rule. Defaults to <see cref="DefaultMethod"/>.</summary>
    public IntegrationMethod Method { get; init; } = DefaultMethod;

    /// <summary>Gets the baseline. Defaults to <see cref="DefaultBaseline"/>.</summary>
    public BaselineKind Baseline { get; init; } = DefaultBaseline;

    /// <summary>Gets the number of interpolation rows per ONNX Runtime run; 0 uses the engine's default.</summary>
    public int InternalBatchSize { get; init; }

    /// <summary>Gets whether gradients are multiplied by (input - baseline) at the layer. Defaults to true (Captum's default).</summary>
    public bool MultiplyByInputs { get; init; } = true;

    /// <summary>Gets the adaptive tolerance on |delta| / |F(x) - F(baseline)|; 0 disables adaptive steps.</summary>
    public double Tolerance { get; init; }

    /// <summary>Gets the step cap in adaptive mode. Defaults to <see cref="DefaultMaxSteps"/>.</summary>
    public int MaxSteps { get; init; } = DefaultMaxSteps;

    /// <summary>Gets what happens to a text over the model's token limit. Defaults to <see cref="LongTextMode.Reject"/>.</summary>
    public LongTextMode LongText { get; init; }

    /// <summary>
    /// Gets whether texts over the model's token limit are cut instead of rejected: an alias of
    /// <see cref="LongText"/> = <see cref="LongTextMode.Truncate"/> (setting it false leaves <see cref="LongText"/> as it is
    /// unless that was Truncate).
    /// </summary>
    public bool Truncate
    {
        get => LongText == LongTextMode.Truncate;
        init => LongText = value ? LongTextMode.Truncate : LongText == LongTextMode.Truncate ? LongTextMode.Reject : LongText;
    }

    /// <summary>Gets, for <see cref="LongTextMode.Windows"/>, the tokens between window starts; 0 means half a window.</summary>
    public int WindowStride { get; init; }

    /// <summary>
    /// Gets whether one attribution list per class is computed as well (<see cref="Explanation.PerTarget"/>), in the same
    /// gradient runs as the target's (one row per class and step, each seeded with its class). The cost, as counted
    /// against <c>BertIg:Limits:MaxTokenSteps</c>, is the class count times that of one target.
    /// </summary>
    public bool AllTargets { get; init; }

    /// <summary>
    /// Gets whether ERASER faithfulness scores of the result's ranking are computed as well (for a text in windows: of the
    /// stitched whole-text ranking, each perturbed text classified in the same windows as the text).
    /// </summary>
    public bool Faithfulness { get; init; }
}
