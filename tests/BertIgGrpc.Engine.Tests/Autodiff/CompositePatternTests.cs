using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Onnx;
using A = BertIgGrpc.Engine.Onnx.Attributes;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>Decomposed LayerNorm and erf-GELU, as PyTorch exports them, and attention's scaled softmax are differentiated as one op each - and correctly.</summary>
public class CompositePatternTests
{
    private static TestGraph DecomposedLayerNorm(int opset = 13)
        => new TestGraph(opset).Input("x", 2, 3, 4).Weight("gamma", [4], 5).Weight("beta", [4], 6)
            .Floats("two", [2f]).Floats("eps", [1e-5f])
            .Node("ReduceMean", ["x"], ["m"], A.Ints("axes", [-1]))
            .Node("Sub", ["x", "m"], ["d"])
            .Node("Pow", ["d", "two"], ["p"])
            .Node("ReduceMean", ["p"], ["v"], A.Ints("axes", [-1]))
            .Node("Add", ["v", "eps"], ["ve"])
            .Node("Sqrt", ["ve"], ["s"])
            .Node("Div", ["d", "s"], ["n"])
            .Node("Mul", ["n", "gamma"], ["g"])
            .Node("Add", ["g", "beta"], ["y"]);

    private static TestGraph DecomposedGelu()
        => new TestGraph().Input("x", 3, 4).Floats("sqrt2", [1.4142135f]).Floats("one", [1f]).Floats("half", [0.5f])
            .Node("Div", ["x", "sqrt2"], ["a"])
            .Node("Erf", ["a"], ["e"])
            .Node("Add", ["e", "one"], ["f"])
            .Node("Mul", ["x", "f"], ["g"])
            .Node("Mul", ["g", "half"], ["y"]);

    private static Dictionary<string, (Array, long[])> Feed(long[] shape, int seed = 2)
        => new() { ["x"] = (GradientChecker.RandomFloats(new Random(seed), (int)GradientChecker.Count(shape), 2.0), shape) };

    private static int CoveredNodes(TestGraph g, long[] shape)
    {
        var model = g.Build();
        var x = GradientChecker.RandomFloats(new Random(1), (int)GradientChecker.Count(shape));
        using var v = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, shape);
        var info = ShapeProbe.Run(model, new Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue> { ["x"] = v });
        return CompositePatterns.Find(new GraphView(model.Graph), model.Graph.Node, t => info[t], Opset.Of(model)).Count;
    }

    [Fact]
    public void DecomposedLayerNorm_IsOnePattern_AndGradientMatchesNumeric()
    {
        Assert.Equal(9, CoveredNodes(DecomposedLayerNorm().Output("y"), [2, 3, 4]));
        GradientChecker.Check(DecomposedLayerNorm().Output("y").Build(), "x", "y", Feed([2, 3, 4]));
    }

    [Fact]
    public void DecomposedGelu_IsOnePattern_AndGradientMatchesNumeric()
    {
        Assert.Equal(5, CoveredNodes(DecomposedGelu().Output("y"), [3, 4]));
        GradientChecker.Check(DecomposedGelu().Output("y").Build(), "x", "y", Feed([3, 4]));
    }

    [Fact]
    public void IntermediateUsedOutsidePattern_IsNotMatched_AndGradientStillMatches()
    {
        // The normalised value n also feeds a second branch: the pattern would hide its gradient, so it is not used.
        var g = DecomposedLayerNorm().Weight("w", [4], 9).Node("Mul", ["n", "w"], ["n2"]).Node("Add", ["y", "n2"], ["z"]).Output("z");
        Assert.Equal(0, CoveredNodes(g, [2, 3, 4]));
        GradientChecker.Check(g.Build(), "x", "z", Feed([2, 3, 4]));
    }

    [Fact]
    public void GeluWithOtherConstant_IsNotMatched()
    {
        var g = new TestGraph().Input("x", 3, 4).Floats("c", [1.5f]).Floats("one", [1f]).Floats("half", [0.5f])
            .Node("Div", ["x", "c"], ["a"]).Node("Erf", ["a"], ["e"]).Node("Add", ["e", "one"], ["f"])
            .Node("Mul", ["x", "f"], ["g"]).Node("Mul", ["g", "half"], ["y"]).Output("y");
        Assert.Equal(0, CoveredNodes(g, [3, 4]));
        GradientChecker.Check(g.Build(), "x", "y", Feed([3, 4]));
    }

    [ChecksGradientOf("ScaledSoftmax")]
    [Theory]
    [InlineData("Div", true)]
    [InlineData("Div", false)]
    [InlineData("Mul", true)]
    public void ScaledMaskedSoftmax_IsOnePattern_AndGradientMatchesNumeric(string scaleOp, bool masked)
    {
        // Attention's scores: softmax(x / c + mask) over the last axis; the mask (a weight here) takes no gradient.
        var g = new TestGraph().Input("x", 2, 3, 4).Floats("c", [scaleOp == "Div" ? 2.5f : 0.4f]).Weight("mask", [2, 1, 4], 7)
            .Node(scaleOp, ["x", "c"], [masked ? "s" : "t"]);
        if (masked) g.Node("Add", ["s", "mask"], ["t"]);
        g.Node("Softmax", ["t"], ["y"], A.Int("axis", -1)).Output("y");
        Assert.Equal(masked ? 3 : 2, CoveredNodes(g, [2, 3, 4]));
        GradientChecker.Check(g.Build(), "x", "y", Feed([2, 3, 4]));
    }

    [Fact]
    public void ScaledSoftmax_MaskThatDependsOnTheCut_GetsItsGradient()
    {
        // The mask is mean(x) over axis 1: its gradient (the unscaled softmax backward) reaches x as well.
        var g = new TestGraph(11).Input("x", 2, 3, 4).Floats("c", [2.5f]).Node("Div", ["x", "c"], ["s"])
            .Node("ReduceMean", ["x"], ["m"], A.Ints("axes", [1])).Node("Add", ["s", "m"], ["t"])
            .Node("Softmax", ["t"], ["y"], A.Int("axis", -1)).Output("y");
        Assert.Equal(3, CoveredNodes(g, [2, 3, 4]));
        GradientChecker.Check(g.Build(), "x", "y", Feed([2, 3, 4]));
    }

    [Fact]
    public void ScaledSoftmax_OverAnotherAxis_IsNotMatched()
    {
        var g = new TestGraph().Input("x", 2, 3, 4).Floats("c", [2.5f]).Node("Div", ["x", "c"], ["s"])
            .Node("Softmax", ["s"], ["y"], A.Int("axis", 1)).Output("y");
        Assert.Equal(0, CoveredNodes(g, [2, 3, 4]));
        GradientChecker.Check(g.Build(), "x", "y", Feed([2, 3, 4]));
    }
}
