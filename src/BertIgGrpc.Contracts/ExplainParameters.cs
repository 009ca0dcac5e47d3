using Google.Protobuf;

namespace BertIgGrpc.Contracts.V1;

/// <summary>
/// The fields that <see cref="ExplainRequest"/> (Explain) and <see cref="ExplainUnaryRequest"/> (ExplainUnary) share: the
/// contract gives each RPC its own request type (buf lint's RPC_REQUEST_STANDARD_NAME and RPC_REQUEST_RESPONSE_UNIQUE) with
/// the same flat fields, and this interface lets the server and clients read or fill either with one piece of code.
/// Both generated classes implement it with their own properties (see the partial declarations below).
/// </summary>
public interface IExplainParameters
{
    /// <summary>Gets or sets the model name; empty selects the server's default model.</summary>
    string Model { get; set; }

    /// <summary>Gets or sets the text to explain.</summary>
    string Text { get; set; }

    /// <summary>Gets or sets the optional second segment.</summary>
    string TextPair { get; set; }

    /// <summary>Gets or sets the target class index (a member of the <c>target</c> oneof).</summary>
    int TargetIndex { get; set; }

    /// <summary>Gets a value indicating whether <see cref="TargetIndex"/> is the set member of the <c>target</c> oneof.</summary>
    bool HasTargetIndex { get; }

    /// <summary>Gets or sets the target class label (a member of the <c>target</c> oneof).</summary>
    string TargetLabel { get; set; }

    /// <summary>Gets a value indicating whether <see cref="TargetLabel"/> is the set member of the <c>target</c> oneof.</summary>
    bool HasTargetLabel { get; }

    /// <summary>Gets or sets the integration steps; 0 selects the default.</summary>
    int NSteps { get; set; }

    /// <summary>Gets or sets the integration rule; UNSPECIFIED selects the default.</summary>
    IntegrationMethod Method { get; set; }

    /// <summary>Gets or sets the baseline; UNSPECIFIED selects the default.</summary>
    Baseline Baseline { get; set; }

    /// <summary>Gets or sets the interpolation rows per ONNX Runtime run; 0 lets the server choose.</summary>
    int InternalBatchSize { get; set; }

    /// <summary>Gets or sets the adaptive-steps tolerance; 0 turns adaptive steps off.</summary>
    double Tolerance { get; set; }

    /// <summary>Gets or sets a value indicating whether texts over the model's token limit are cut.</summary>
    bool Truncate { get; set; }

    /// <summary>Gets or sets the adaptive step cap; 0 selects the default.</summary>
    int MaxSteps { get; set; }

    /// <summary>Gets or sets whether to multiply by (input - baseline); see <see cref="HasMultiplyByInputs"/>.</summary>
    bool MultiplyByInputs { get; set; }

    /// <summary>Gets a value indicating whether <see cref="MultiplyByInputs"/> was set (unset means true).</summary>
    bool HasMultiplyByInputs { get; }

    /// <summary>Gets or sets what happens to texts over the model's token limit (<see cref="Truncate"/> is an alias of TRUNCATE).</summary>
    LongText LongText { get; set; }

    /// <summary>Gets or sets the tokens between window starts for LONG_TEXT_WINDOWS; 0 means half a window.</summary>
    int WindowStride { get; set; }

    /// <summary>Gets or sets whether one attribution list per class is returned as well.</summary>
    bool AllTargets { get; set; }

    /// <summary>Gets or sets whether ERASER faithfulness scores are returned as well.</summary>
    bool Faithfulness { get; set; }
}

/// <summary>The request of Explain (streaming).</summary>
public sealed partial class ExplainRequest : IExplainParameters
{
    /// <summary>The same request for ExplainUnary: the two types share their field numbers, so the bytes carry over as they are.</summary>
    /// <returns>A new <see cref="ExplainUnaryRequest"/> with every field of this request.</returns>
    public ExplainUnaryRequest ToUnaryRequest() => ExplainUnaryRequest.Parser.ParseFrom(this.ToByteString());
}

/// <summary>The request of ExplainUnary.</summary>
public sealed partial class ExplainUnaryRequest : IExplainParameters;
