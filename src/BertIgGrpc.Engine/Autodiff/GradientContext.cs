using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Autodiff;

/// <summary>
/// What one gradient rule sees of its node: inputs <see cref="I"/>, outputs <see cref="O"/>, the gradients of
/// the outputs <see cref="GO"/>, which inputs need a gradient <see cref="NeedsGI"/>, and where to put them
/// <see cref="SetGI"/>. Rules emit ONNX nodes through <see cref="E"/>.
/// </summary>
internal sealed class GradientContext(
    NodeProto node,
    GraphEmitter emitter,
    GraphView forward,
    Func<string, TensorInfo> info,
    IReadOnlyList<string?> outputGradients,
    IReadOnlyList<bool> inputNeedsGradient)
{
    private readonly string?[] _inputGradients = new string?[node.Input.Count];

    public NodeProto Node { get; } = node;
    public GraphEmitter E { get; } = emitter;
    public GraphView Forward { get; } = forward;

    /// <summary>Input i's tensor name.</summary>
    public string I(int i) => Node.Input[i];

    /// <summary>Output i's tensor name.</summary>
    public string O(int i) => Node.Output[i];

    /// <summary>Gradient of output i, or null when nothing downstream needs it.</summary>
    public string? GO(int i) => i < outputGradients.Count ? outputGradients[i] : null;

    /// <summary>Gradient of output i; zeros when nothing downstream needs it.</summary>
    public string GOOrZeros(int i) => GO(i) ?? E.ZerosLike(O(i));

    /// <summary>Whether input i needs a gradient (it depends on the cut through floating-point ops).</summary>
    public bool NeedsGI(int i) => i < inputNeedsGradient.Count && inputNeedsGradient[i];

    /// <summary>Sets the gradient of input i (ignored when the input needs none).</summary>
    public void SetGI(int i, string gradient)
    {
        if (NeedsGI(i))
        {
            _inputGradients[i] = gradient;
        }
    }

    /// <summary>Gets the gradients set for the inputs.</summary>
    public IReadOnlyList<string?> InputGradients => _inputGradients;

    /// <summary>Probe shape of a tensor.</summary>
    public long[] Shape(string tensor) => info(tensor).Shape;

    /// <summary>Rank of a tensor.</summary>
    public int Rank(string tensor) => info(tensor).Rank;

    /// <summary>Element type of a tensor.</summary>
    public int ElemType(string tensor) => info(tensor).ElemType;

    /// <summary>Reads a constant integer input (initializer or Constant node); throws naming the node if it is not constant.</summary>
    public long[] ConstantInts(int input)
        => Forward.ConstantInt64s(I(input))
           ?? throw Unsupported($"input {input} ('{I(input)}') must be a constant for the gradient rule");

    /// <summary>Normalises a possibly negative axis.</summary>
    public static long Axis(long axis, int rank) => axis < 0 ? axis + rank : axis;

    /// <summary>Sums <paramref name="grad"/> (with the probe shape of output <paramref name="outputIndex"/>) back to input i's shape.</summary>
    public string ReduceTo(int input, string grad, int outputIndex = 0)
        => E.ReduceToOperand(grad, Shape(O(outputIndex)), I(input), Shape(I(input)));

    /// <summary>An error that names the op and the node.</summary>
    public OnnxGraphException Unsupported(string why)
        => new($"Cannot differentiate node '{Node.Name}' (op {Node.OpType}): {why}.");
}
