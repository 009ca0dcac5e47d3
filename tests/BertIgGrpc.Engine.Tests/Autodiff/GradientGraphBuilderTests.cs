using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>What the gradient graph builder refuses, and the shape of what it builds.</summary>
public class GradientGraphBuilderTests
{
    [Fact]
    public void OpWithoutRule_OnPath_IsRefusedNamingOpAndNode()
    {
        var g = new TestGraph().Input("x", 3).Node("Cos", ["x"], ["y"]).Output("y");
        var ex = Assert.Throws<OnnxGraphException>(() => CheckBuildOnly(g, [3]));
        Assert.Contains("Cos", ex.Message);
        Assert.Contains("Cos_0", ex.Message);
    }

    [Fact]
    public void ContribFusedOp_IsRefusedWithExportAdvice()
    {
        var g = new TestGraph().Input("x", 3).NodeIn("com.microsoft", "FastGelu", ["x"], ["y"]).Output("y");
        var model = g.Build();
        model.OpsetImport.Add(new Onnx.Proto.OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var info = new Dictionary<string, TensorInfo> { ["x"] = new(Tensors.Float, [3]), ["y"] = new(Tensors.Float, [3]) };
        var ex = Assert.Throws<OnnxGraphException>(() => GradientGraphBuilder.Build(model, "x", "y", info));
        Assert.Contains("FastGelu", ex.Message);
        Assert.Contains("without ONNX Runtime graph optimizations", ex.Message);
    }

    [Fact]
    public void OutputIndependentOfCut_IsRefused()
    {
        var g = new TestGraph().Input("x", 3).Input("z", 3).Node("Neg", ["z"], ["y"]).Output("y");
        var info = new Dictionary<string, TensorInfo> { ["x"] = new(Tensors.Float, [3]), ["z"] = new(Tensors.Float, [3]), ["y"] = new(Tensors.Float, [3]) };
        var ex = Assert.Throws<OnnxGraphException>(() => GradientGraphBuilder.Build(g.Build(), "x", "y", info));
        Assert.Contains("does not depend on the cut", ex.Message);
    }

    [Fact]
    public void GradientModel_HasNoWeightGradients_AndKeepsOnlyNeededInputs()
    {
        var g = new TestGraph().Input("x", 2, 3).Input("unused", 2).Weight("w", [3, 4]).Node("MatMul", ["x", "w"], ["y"]).Output("y");
        var info = new Dictionary<string, TensorInfo> { ["x"] = new(Tensors.Float, [2, 3]), ["w"] = new(Tensors.Float, [3, 4]), ["y"] = new(Tensors.Float, [2, 4]), ["unused"] = new(Tensors.Float, [2]) };
        var gm = GradientGraphBuilder.Build(g.Build(), "x", "y", info);
        Assert.Empty(gm.OtherInputs);
        Assert.Equal(["x", GradientGraphBuilder.SeedName], gm.Model.Graph.Input.Select(i => i.Name));
        Assert.Equal(["y", GradientGraphBuilder.GradientName], gm.Model.Graph.Output.Select(o => o.Name));
        // dX = dY @ W^T only: one MatMul forward and one backward, no dW.
        Assert.Equal(2, gm.Model.Graph.Node.Count(n => n.OpType == "MatMul"));
    }

    private static void CheckBuildOnly(TestGraph g, long[] xShape)
    {
        var x = new float[GradientChecker.Count(xShape)];
        using var v = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, xShape);
        var model = g.Build();
        var info = ShapeProbe.Run(model, new Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue> { ["x"] = v });
        GradientGraphBuilder.Build(model, "x", "y", info);
    }
}
