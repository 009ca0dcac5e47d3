using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using A = BertIgGrpc.Engine.Onnx.Attributes;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>
/// The LayerNormalization gradient reads the forward node's Mean and InvStdDev outputs instead of recomputing the
/// statistics from the input: the gradient graph runs LayerNorm (also PyTorch's decomposed export) as one node with
/// both outputs, and its backward has no Sqrt and only the two reductions of the gradient itself.
/// </summary>
public class LayerNormStatisticsTests
{
    private static readonly long[] Shape = [2, 3, 4];

    private static Dictionary<string, (Array, long[])> Feed(int seed = 4)
        => new() { ["x"] = (GradientChecker.RandomFloats(new Random(seed), (int)GradientChecker.Count(Shape), 2.0), Shape) };

    private static GradientModel Build(ModelProto model, string output)
    {
        var x = (float[])Feed()["x"].Item1;
        using var v = OrtValue.CreateTensorValueFromMemory(x, Shape);
        return GradientGraphBuilder.Build(model, "x", output, ShapeProbe.Run(model, new Dictionary<string, OrtValue> { ["x"] = v }));
    }

    private static TestGraph Opset17(params string[] outputs)
        => new TestGraph(17).Input("x", Shape).Weight("scale", [4], 5).Weight("bias", [4], 6)
            .Node("LayerNormalization", ["x", "scale", "bias"], outputs, A.Int("axis", -1), A.Float("epsilon", 1e-5f));

    private static void AssertStatisticsReused(GradientModel gm)
    {
        var ln = Assert.Single(gm.Model.Graph.Node, n => n.OpType == "LayerNormalization");
        Assert.Equal(3, ln.Output.Count);
        Assert.All(ln.Output, o => Assert.NotEmpty(o));
        var backward = gm.Model.Graph.Node.Where(n => n.Name.StartsWith("grad/", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(backward, n => n.OpType is "Sqrt" or "Pow");
        Assert.Equal(2, backward.Count(n => n.OpType == "ReduceMean")); // mean(g) and mean(g * xhat)
        Assert.Contains(backward, n => n.Input.Contains(ln.Output[1]));
        Assert.Contains(backward, n => n.Input.Contains(ln.Output[2]));
    }

    [Fact]
    public void Opset17_OutputYOnly_GetsMeanAndInvStdDev_AndGradientMatchesNumeric()
    {
        var model = Opset17("y").Output("y").Build();

        AssertStatisticsReused(Build(model, "y"));
        GradientChecker.Check(model, "x", "y", Feed());
    }

    [Fact]
    public void Opset17_DeclaredStatisticsOutputs_AreReused()
    {
        var model = Opset17("y", "mean", "inv_std_dev").Output("y").Build();

        var gm = Build(model, "y");

        AssertStatisticsReused(gm);
        Assert.Equal(["y", "mean", "inv_std_dev"], gm.Model.Graph.Node.Single(n => n.OpType == "LayerNormalization").Output);
        GradientChecker.Check(model, "x", "y", Feed());
    }

    [Fact]
    public void DecomposedLayerNorm_RunsAsOneNodeWithStatistics_AndMatchesNumeric()
    {
        var model = new TestGraph(13).Input("x", Shape).Weight("gamma", [4], 5).Weight("beta", [4], 6)
            .Floats("two", [2f]).Floats("eps", [1e-5f])
            .Node("ReduceMean", ["x"], ["m"], A.Ints("axes", [-1])).Node("Sub", ["x", "m"], ["d"]).Node("Pow", ["d", "two"], ["p"])
            .Node("ReduceMean", ["p"], ["v"], A.Ints("axes", [-1])).Node("Add", ["v", "eps"], ["ve"]).Node("Sqrt", ["ve"], ["s"])
            .Node("Div", ["d", "s"], ["n"]).Node("Mul", ["n", "gamma"], ["g"]).Node("Add", ["g", "beta"], ["y"])
            .Weight("w", [4], 9).Node("Mul", ["y", "w"], ["z"]).Output("z").Build();

        var gm = Build(model, "z");

        AssertStatisticsReused(gm);
        Assert.DoesNotContain(gm.Model.Graph.Node, n => n.OpType is "Pow" or "Sqrt");
        GradientChecker.Check(model, "x", "z", Feed()); // also checks the gradient model's output against the original's
    }

    [Fact]
    public void MeanOutputOnTheGradientPath_IsRejectedNamingTheNode()
    {
        var model = Opset17("y", "mean").Node("Add", ["y", "mean"], ["z"]).Output("z").Build();

        var ex = Assert.Throws<OnnxGraphException>(() => Build(model, "z"));

        Assert.Contains("LayerNormalization", ex.Message);
        Assert.Contains("Mean", ex.Message);
    }
}
