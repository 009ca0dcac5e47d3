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

    /// <summary>Gets whether texts over the model's token limit are cut instead of rejected.</summary>
    public bool Truncate { get; init; }
}
