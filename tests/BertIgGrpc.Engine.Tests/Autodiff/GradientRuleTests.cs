using System.Reflection;
using System.Runtime.CompilerServices;
using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Onnx;
using A = BertIgGrpc.Engine.Onnx.Attributes;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>
/// One gradient check per op rule: numeric (central differences) against the emitted gradient graph. Each test names
/// the ops it checks with <see cref="ChecksGradientOfAttribute"/>; <see cref="GradientCoverageTests"/> requires one for
/// every op the registry supports.
/// </summary>
public class GradientRuleTests
{
    private static void Check(
        TestGraph g, long[] xShape, int seed = 3, float scale = 1f, double tolerance = 2e-3, float offset = 0f, [CallerMemberName] string test = "")
    {
        // The graph must contain an op the test claims to check, so a copied attribute cannot claim coverage.
        var claimed = typeof(GradientRuleTests).GetMethod(test)?.GetCustomAttribute<ChecksGradientOfAttribute>()?.Ops
            ?? throw new InvalidOperationException($"{test} has no [ChecksGradientOf] naming the ops it checks.");
        Assert.Contains(g.Build().Graph.Node, n => claimed.Contains(n.OpType));
        var x = GradientChecker.RandomFloats(new Random(seed), (int)GradientChecker.Count(xShape), scale).Select(v => v + offset).ToArray();
        GradientChecker.Check(g.Build(), "x", "y", new Dictionary<string, (Array, long[])> { ["x"] = (x, xShape) }, tolerance: tolerance);
    }

    // ---- element-wise binary ops: a constant broadcast operand, and an active broadcast operand r = mean(x) ----

    [ChecksGradientOf("Add", "Sub", "Mul", "Div")]
    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    public void BinaryOp_WithBroadcastConstant_MatchesNumeric(string op)
        => Check(new TestGraph().Input("x", 2, 3, 4).Weight("w", [3, 1]).Node(op, ["x", "w"], ["y"]).Output("y"), [2, 3, 4]);

    [ChecksGradientOf("Div")]
    [Fact]
    public void Div_ByScalarConstant_MatchesNumeric() // the rule multiplies by the reciprocal (attention's 1/sqrt(d))
        => Check(new TestGraph().Input("x", 2, 3, 4).Floats("d", [5.656854f], 1).Node("Div", ["x", "d"], ["y"]).Output("y"), [2, 3, 4]);

    [ChecksGradientOf("Add", "Sub", "Mul", "Div", "ReduceMean")]
    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    public void BinaryOp_BothOperandsDependOnCut_GradientsSum(string op)
    {
        // r = ReduceMean(x, axes=[2]) broadcasts back over the last axis; for Div keep the divisor away from 0.
        var g = new TestGraph(11).Input("x", 2, 3, 4)
            .Node("ReduceMean", ["x"], ["r0"], A.Ints("axes", [2]))
            .Floats("two", [2f], 1).Node("Add", ["r0", "two"], ["r"])
            .Node(op, op == "Div" ? ["x", "r"] : ["r", "x"], ["y"]).Output("y");
        Check(g, [2, 3, 4]);
    }

    [ChecksGradientOf("Pow")]
    [Fact]
    public void Pow_ConstantExponent_MatchesNumeric()
        => Check(new TestGraph().Input("x", 2, 5).Floats("p", [3f], 1).Node("Pow", ["x", "p"], ["y"]).Output("y"), [2, 5], offset: 1.5f);

    [ChecksGradientOf("Sqrt", "Neg", "Exp", "Log", "Erf", "Tanh", "Sigmoid", "Relu", "Identity")]
    [Theory]
    [InlineData("Sqrt", 2f)]
    [InlineData("Neg", 0f)]
    [InlineData("Exp", 0f)]
    [InlineData("Log", 2f)]
    [InlineData("Erf", 0f)]
    [InlineData("Tanh", 0f)]
    [InlineData("Sigmoid", 0f)]
    [InlineData("Relu", 0f)]
    [InlineData("Identity", 0f)]
    public void UnaryOp_MatchesNumeric(string op, float offset)
        => Check(new TestGraph().Input("x", 3, 4).Node(op, ["x"], ["y"]).Output("y"), [3, 4], offset: offset);

    [ChecksGradientOf("Dropout")]
    [Fact]
    public void Dropout_InferenceMode_IsIdentity()
        => Check(new TestGraph().Input("x", 3, 4).Node("Dropout", ["x"], ["y"]).Output("y"), [3, 4]);

    [ChecksGradientOf("Cast")]
    [Fact]
    public void Cast_FloatToDouble_MatchesNumeric()
        => Check(new TestGraph().Input("x", 3, 4).Node("Cast", ["x"], ["d"], A.Int("to", Tensors.Double))
            .Node("Cast", ["d"], ["y"], A.Int("to", Tensors.Float)).Output("y"), [3, 4]);

    [ChecksGradientOf("Gelu")]
    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu_Opset20_MatchesNumeric(string approximate)
        => Check(new TestGraph(20).Input("x", 3, 4).Node("Gelu", ["x"], ["y"], A.String("approximate", approximate)).Output("y"), [3, 4], scale: 2f);

    [ChecksGradientOf("Softmax")]
    [Theory]
    [InlineData(13, -1)]
    [InlineData(13, 1)]
    [InlineData(11, 1)]
    [InlineData(11, -1)]
    public void Softmax_PerOpsetSemantics_MatchesNumeric(int opset, long axis)
        => Check(new TestGraph(opset).Input("x", 2, 3, 4).Node("Softmax", ["x"], ["y"], A.Int("axis", axis)).Output("y"), [2, 3, 4]);

    [ChecksGradientOf("MatMul")]
    [Fact]
    public void MatMul_BatchedWithBroadcastWeight_MatchesNumeric()
        => Check(new TestGraph().Input("x", 2, 3, 4).Weight("w", [4, 5]).Node("MatMul", ["x", "w"], ["y"]).Output("y"), [2, 3, 4]);

    [ChecksGradientOf("MatMul", "Transpose")]
    [Fact]
    public void MatMul_BothOperandsActive_AttentionShape_MatchesNumeric()
    {
        // scores = x @ x^T per batch (as in attention), [2, 3, 4] @ [2, 4, 3]
        var g = new TestGraph().Input("x", 2, 3, 4).Node("Transpose", ["x"], ["xt"], A.Ints("perm", [0, 2, 1]))
            .Node("MatMul", ["x", "xt"], ["y"]).Output("y");
        Check(g, [2, 3, 4]);
    }

    [ChecksGradientOf("MatMul")]
    [Fact]
    public void MatMul_BroadcastBatchOfActiveOperand_IsSummed()
    {
        // x [3, 4] broadcast against w [2, 4, 5]: dX sums over the batch of 2.
        Check(new TestGraph().Input("x", 3, 4).Weight("w", [2, 4, 5]).Node("MatMul", ["x", "w"], ["y"]).Output("y"), [3, 4]);
    }

    [ChecksGradientOf("Gemm")]
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    public void Gemm_Transposes_MatchesNumeric(int transA, int transB)
    {
        long[] xShape = transA == 1 ? [4, 3] : [3, 4];
        long[] wShape = transB == 1 ? [5, 4] : [4, 5];
        var g = new TestGraph().Input("x", xShape).Weight("w", wShape).Weight("b", [5])
            .Node("Gemm", ["x", "w", "b"], ["y"], A.Float("alpha", 0.7f), A.Float("beta", 1.3f), A.Int("transA", transA), A.Int("transB", transB))
            .Output("y");
        Check(g, xShape);
    }

    [ChecksGradientOf("Gemm")]
    [Fact]
    public void Gemm_CutIsBias_ScaledByBeta()
        => Check(new TestGraph().Input("x", 5).Weight("a", [3, 4]).Weight("w", [4, 5])
            .Node("Gemm", ["a", "w", "x"], ["y"], A.Float("beta", 0.5f)).Output("y"), [5]);

    [ChecksGradientOf("Transpose")]
    [Fact]
    public void Transpose_Permutation_MatchesNumeric()
        => Check(new TestGraph().Input("x", 2, 3, 4).Node("Transpose", ["x"], ["t"], A.Ints("perm", [2, 0, 1]))
            .Weight("w", [4, 2, 3]).Node("Mul", ["t", "w"], ["y"]).Output("y"), [2, 3, 4]);

    [ChecksGradientOf("Reshape")]
    [Fact]
    public void Reshape_WithShapeSubgraph_MatchesNumeric()
    {
        // target shape computed from Shape(x): the integer sub-graph is a constant for the gradient.
        var g = new TestGraph().Input("x", 2, 3, 4);
        g.ScalarIndex("idx", 0).Node("Shape", ["x"], ["s"]).Node("Gather", ["s", "idx"], ["b"], A.Int("axis", 0))
            .Node("Unsqueeze", ["b", g.Const(0)], ["b1"]).Node("Concat", ["b1", g.Const(-1)], ["shape"], A.Int("axis", 0))
            .Node("Reshape", ["x", "shape"], ["r"]).Weight("w", [12]).Node("Mul", ["r", "w"], ["y"]).Output("y");
        Check(g, [2, 3, 4]);
    }

    [ChecksGradientOf("Flatten")]
    [Fact]
    public void Flatten_MatchesNumeric()
        => Check(new TestGraph().Input("x", 2, 3, 4).Node("Flatten", ["x"], ["f"], A.Int("axis", 1))
            .Weight("w", [12]).Node("Mul", ["f", "w"], ["y"]).Output("y"), [2, 3, 4]);

    [ChecksGradientOf("Unsqueeze", "Squeeze")]
    [Theory]
    [InlineData(13)]
    [InlineData(11)]
    public void UnsqueezeSqueeze_PerOpset_MatchesNumeric(int opset)
    {
        var g = new TestGraph(opset).Input("x", 3, 4);
        if (opset >= 13)
        {
            g.Node("Unsqueeze", ["x", g.Const(1)], ["u"]).Weight("w", [3, 1, 4]).Node("Mul", ["u", "w"], ["m"])
                .Node("Squeeze", ["m", g.Const(1)], ["y"]);
        }
        else
        {
            g.Node("Unsqueeze", ["x"], ["u"], A.Ints("axes", [1])).Weight("w", [3, 1, 4]).Node("Mul", ["u", "w"], ["m"])
                .Node("Squeeze", ["m"], ["y"], A.Ints("axes", [1]));
        }

        Check(g.Output("y"), [3, 4]);
    }

    [ChecksGradientOf("Concat")]
    [Fact]
    public void Concat_OneActiveOneConstant_MatchesNumeric()
        => Check(new TestGraph().Input("x", 2, 3).Weight("c", [2, 2]).Node("Concat", ["c", "x", "x"], ["k"], A.Int("axis", 1))
            .Weight("w", [2, 8]).Node("Mul", ["k", "w"], ["y"]).Output("y"), [2, 3]);

    [ChecksGradientOf("Split")]
    [Theory]
    [InlineData(13)]
    [InlineData(11)]
    public void Split_UnevenParts_OnlyOneUsed_MatchesNumeric(int opset)
    {
        var g = new TestGraph(opset).Input("x", 2, 6);
        if (opset >= 13) g.Node("Split", ["x", g.Const(2, 4)], ["a", "b"], A.Int("axis", 1));
        else g.Node("Split", ["x"], ["a", "b"], A.Int("axis", 1), A.Ints("split", [2, 4]));
        Check(g.Weight("w", [2, 4]).Node("Mul", ["b", "w"], ["y"]).Output("y"), [2, 6]);
    }

    [ChecksGradientOf("Slice")]
    [Fact]
    public void Slice_NegativeStartAndLargeEnd_PadsBack()
    {
        var g = new TestGraph().Input("x", 2, 5, 3);
        g.Node("Slice", ["x", g.Const(1, -2), g.Const(long.MaxValue, long.MaxValue), g.Const(1, 2)], ["s"])
            .Weight("w", [2, 4, 2]).Node("Mul", ["s", "w"], ["y"]).Output("y");
        Check(g, [2, 5, 3]);
    }

    [ChecksGradientOf("Gather")]
    [Fact]
    public void Gather_ScalarIndexOnAxis1_ClsPooling_MatchesNumeric()
        => Check(new TestGraph().Input("x", 2, 4, 3).ScalarIndex("idx", 0).Node("Gather", ["x", "idx"], ["y"], A.Int("axis", 1)).Output("y"), [2, 4, 3]);

    [ChecksGradientOf("Gather")]
    [Fact]
    public void Gather_RepeatedIndices_Accumulate()
    {
        var g = new TestGraph().Input("x", 5, 3);
        g.Ints("idx", 1, 3, 1, 4);
        Check(g.Node("Gather", ["x", "idx"], ["y"], A.Int("axis", 0)).Output("y"), [5, 3]);
    }

    [ChecksGradientOf("Expand")]
    [Fact]
    public void Expand_MatchesNumeric()
    {
        var g = new TestGraph().Input("x", 3, 1);
        Check(g.Node("Expand", ["x", g.Const(2, 3, 4)], ["y"]).Output("y"), [3, 1]);
    }

    [ChecksGradientOf("Where")]
    [Fact]
    public void Where_ConstantCondition_RoutesGradient()
    {
        var g = new TestGraph().Input("x", 2, 3).Weight("w", [2, 3]);
        g.Floats("zero", [0f], 1).Node("Greater", ["w", "zero"], ["cond"]).Node("Where", ["cond", "x", "w"], ["y"]).Output("y");
        Check(g, [2, 3]);
    }

    [ChecksGradientOf("ReduceMean")]
    [Theory]
    [InlineData(13, 1)]
    [InlineData(13, 0)]
    [InlineData(11, 1)]
    [InlineData(18, 0)]
    public void ReduceMean_PerOpset_MatchesNumeric(int opset, int keepDims)
    {
        var g = new TestGraph(opset).Input("x", 2, 3, 4);
        if (opset >= 18) g.Node("ReduceMean", ["x", g.Const(-1)], ["y"], A.Int("keepdims", keepDims));
        else g.Node("ReduceMean", ["x"], ["y"], A.Ints("axes", [-1]), A.Int("keepdims", keepDims));
        Check(g.Output("y"), [2, 3, 4]);
    }

    [ChecksGradientOf("ReduceSum")]
    [Theory]
    [InlineData(13, 1)]
    [InlineData(13, 0)]
    [InlineData(11, 0)]
    public void ReduceSum_PerOpset_MatchesNumeric(int opset, int keepDims)
    {
        var g = new TestGraph(opset).Input("x", 2, 3, 4);
        if (opset >= 13) g.Node("ReduceSum", ["x", g.Const(0, 2)], ["y"], A.Int("keepdims", keepDims));
        else g.Node("ReduceSum", ["x"], ["y"], A.Ints("axes", [0, 2]), A.Int("keepdims", keepDims));
        Check(g.Output("y"), [2, 3, 4]);
    }

    [ChecksGradientOf("LayerNormalization")]
    [Fact]
    public void LayerNormalization_Opset17_MatchesNumeric()
        => Check(new TestGraph(17).Input("x", 2, 3, 4).Weight("scale", [4]).Weight("bias", [4])
            .Node("LayerNormalization", ["x", "scale", "bias"], ["y"], A.Int("axis", -1), A.Float("epsilon", 1e-5f)).Output("y"), [2, 3, 4]);
}
