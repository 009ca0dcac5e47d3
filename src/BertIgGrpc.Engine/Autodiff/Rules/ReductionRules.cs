using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Engine.Autodiff.Rules;

/// <summary>Gradients of reductions, Softmax and LayerNormalization.</summary>
internal static class ReductionRules
{
    [GradientRule("ReduceSum")]
    public static void ReduceSum(GradientContext c) => ReduceBack(c, mean: false);

    [GradientRule("ReduceMean")]
    public static void ReduceMean(GradientContext c) => ReduceBack(c, mean: true);

    private static void ReduceBack(GradientContext c, bool mean)
    {
        var e = c.E;
        var rank = c.Rank(c.I(0));
        var keepDims = c.Node.GetInt("keepdims", 1) != 0;
        var axesFromInput = Opset.AxesAsInput(c.Node.OpType, e.Opset);
        long[]? axes = axesFromInput
            ? (c.Node.Input.Count > 1 && c.I(1).Length > 0 ? c.ConstantInts(1) : null)
            : c.Node.GetInts("axes");
        if (axes is null or { Length: 0 })
        {
            if (axesFromInput && c.Node.GetInt("noop_with_empty_axes", 0) != 0)
            {
                c.SetGI(0, c.GOOrZeros(0));
                return;
            }

            axes = [.. Enumerable.Range(0, rank).Select(i => (long)i)];
        }

        axes = [.. axes.Select(a => GradientContext.Axis(a, rank)).Order()];
        var dy = c.GOOrZeros(0);
        var dyKept = keepDims ? dy : e.Unsqueeze(dy, axes);
        var dx = e.Expand(dyKept, e.Shape(c.I(0)));
        if (mean)
        {
            // Divide by the number of reduced elements: size(x) / size(y).
            var sizeX = e.Op("Cast", [e.Op("Size", [c.I(0)])], Attributes.Int("to", Tensors.Float));
            var sizeY = e.Op("Cast", [e.Op("Size", [c.O(0)])], Attributes.Int("to", Tensors.Float));
            dx = e.Div(dx, e.Div(sizeX, sizeY));
        }

        c.SetGI(0, dx);
    }

    [GradientRule("Softmax")]
    public static void Softmax(GradientContext c)
    {
        // y = softmax(x): dx = y * (dy - sum(dy * y)) over the softmax axes.
        // Before opset 13 Softmax flattens x to 2-D at `axis`, so it normalises over every axis from `axis` on.
        var e = c.E;
        var rank = c.Rank(c.I(0));
        var oneAxis = Opset.SoftmaxOverOneAxis(e.Opset);
        var axis = GradientContext.Axis(c.Node.GetInt("axis", oneAxis ? -1 : 1), rank);
        long[] axes = oneAxis ? [axis] : [.. Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i)];
        var dy = c.GOOrZeros(0);
        var y = c.O(0);
        var inner = e.ReduceSum(e.Mul(dy, y), axes, keepDims: true);
        c.SetGI(0, e.Mul(y, e.Sub(dy, inner)));
    }

    [GradientRule("ScaledSoftmax")]
    public static void ScaledSoftmax(GradientContext c)
    {
        // The virtual op of CompositePatterns: y = softmax(x * k [+ m]) over the last axis. dx = y * (g - sum(g * y)) with
        // g = k dy: scaling dy first lets ONNX Runtime fold k into the MatMul that produced dy (attention's dP).
        var e = c.E;
        var k = c.Node.GetFloat("scale", 1f);
        var y = c.O(0);
        var g = e.Mul(c.GOOrZeros(0), e.FloatScalar(k));
        var inner = e.ReduceSum(e.Mul(g, y), [c.Rank(y) - 1], keepDims: true);
        var dx = e.Mul(y, e.Sub(g, inner));
        c.SetGI(0, c.ReduceTo(0, dx));
        if (c.Node.Input.Count > 1 && c.NeedsGI(1)) c.SetGI(1, c.ReduceTo(1, e.Mul(dx, e.FloatScalar(1f / k))));
    }

    [GradientRule("LayerNormalization")]
    public static void LayerNormalization(GradientContext c)
    {
        // y = xhat * scale + bias, xhat = (x - mean) * rstd over axes [axis, rank).
        // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * scale.
        var e = c.E;
        var rank = c.Rank(c.I(0));
        var axis = GradientContext.Axis(c.Node.GetInt("axis", -1), rank);
        var epsilon = c.Node.GetFloat("epsilon", 1e-5f);
        long[] axes = [.. Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i)];
        if (c.GO(1) is not null || c.GO(2) is not null)
        {
            throw c.Unsupported("the attributed layer's gradient would flow through the Mean or InvStdDev output, which has no gradient rule");
        }

        var x = c.I(0);
        string centered, rstd;
        if (c.Node.Output.Count >= 3 && c.O(1).Length > 0 && c.O(2).Length > 0)
        {
            // The forward node's optional outputs Mean and InvStdDev (GradientGraphBuilder adds them): no recomputation.
            centered = e.Sub(x, c.O(1));
            rstd = c.O(2);
        }
        else
        {
            centered = e.Sub(x, e.ReduceMean(x, axes, keepDims: true));
            var variance = e.ReduceMean(e.Mul(centered, centered), axes, keepDims: true);
            rstd = e.Div(e.FloatScalar(1f), e.Op("Sqrt", [e.Add(variance, e.FloatScalar(epsilon))]));
        }

        var xhat = e.Mul(centered, rstd);
        var g = e.Mul(c.GOOrZeros(0), c.I(1));
        var meanG = e.ReduceMean(g, axes, keepDims: true);
        var meanGx = e.ReduceMean(e.Mul(g, xhat), axes, keepDims: true);
        c.SetGI(0, e.Mul(rstd, e.Sub(e.Sub(g, meanG), e.Mul(xhat, meanGx))));
        if (c.Node.Input.Count > 1 && c.NeedsGI(1) || c.Node.Input.Count > 2 && c.NeedsGI(2))
        {
            throw c.Unsupported("scale and bias must not depend on the attributed layer");
        }
    }
}
