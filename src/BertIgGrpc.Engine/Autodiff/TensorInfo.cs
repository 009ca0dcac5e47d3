namespace BertIgGrpc.Engine.Autodiff;

/// <summary>Element type and one observed shape of a tensor (from a probe run of the forward model).</summary>
/// <param name="ElemType">ONNX element type.</param>
/// <param name="Shape">The shape seen in the probe run; only its rank and which dims are 1 are relied on.</param>
public sealed record TensorInfo(int ElemType, long[] Shape)
{
    /// <summary>Gets the rank.</summary>
    public int Rank => Shape.Length;
}
