using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Engine.Autodiff.Rules;

/// <summary>Gradients of ops that move or select elements without arithmetic.</summary>
internal static class ShapeRules
{
    [GradientRule("Transpose")]
    public static void Transpose(GradientContext c)
    {
        var rank = c.Rank(c.I(0));
        var perm = c.Node.GetInts("perm") ?? [.. Enumerable.Range(0, rank).Reverse().Select(i => (long)i)];
        var inverse = new long[perm.Length];
        for (var i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }

        c.SetGI(0, c.E.Transpose(c.GOOrZeros(0), inverse));
    }

    /// <summary>Reshape, Flatten, Squeeze, Unsqueeze: the gradient takes the input's shape back.</summary>
    [GradientRule("Reshape", "Flatten", "Squeeze", "Unsqueeze")]
    public static void ReshapeLike(GradientContext c) => c.SetGI(0, c.E.Reshape(c.GOOrZeros(0), c.E.Shape(c.I(0))));

    [GradientRule("Expand")]
    public static void Expand(GradientContext c) => c.SetGI(0, c.ReduceTo(0, c.GOOrZeros(0)));

    [GradientRule("Concat")]
    public static void Concat(GradientContext c)
    {
        var e = c.E;
        var dy = c.GOOrZeros(0);
        var axis = GradientContext.Axis(c.Node.GetInt("axis", 0), c.Rank(c.O(0)));
        var axisTensor = e.Int64s(axis);
        string offset = e.Int64s(0);
        for (var i = 0; i < c.Node.Input.Count; i++)
        {
            var size = e.Dim(c.I(i), axis);
            var end = e.Add(offset, size);
            if (c.NeedsGI(i))
            {
                c.SetGI(i, e.Op("Slice", [dy, offset, end, axisTensor]));
            }

            offset = end;
        }
    }

    [GradientRule("Split")]
    public static void Split(GradientContext c)
    {
        var e = c.E;
        var axis = GradientContext.Axis(c.Node.GetInt("axis", 0), c.Rank(c.I(0)));
        var parts = Enumerable.Range(0, c.Node.Output.Count).Select(c.GOOrZeros).ToArray();
        c.SetGI(0, e.Op("Concat", parts, Attributes.Int("axis", axis)));
    }

    [GradientRule("Slice")]
    public static void Slice(GradientContext c)
    {
        // y = x[starts:ends] along axes (step 1): dx = dy padded with zeros before and after.
        var e = c.E;
        var rank = c.Rank(c.I(0));
        long[] starts, axes, steps;
        if (!Opset.SliceBoundsAsInputs(e.Opset))
        {
            starts = c.Node.GetInts("starts") ?? throw c.Unsupported("missing starts");
            axes = c.Node.GetInts("axes") ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
            steps = [.. starts.Select(_ => 1L)];
        }
        else
        {
            starts = c.ConstantInts(1);
            axes = c.Node.Input.Count > 3 && c.I(3).Length > 0 ? c.ConstantInts(3) : [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
            steps = c.Node.Input.Count > 4 && c.I(4).Length > 0 ? c.ConstantInts(4) : [.. starts.Select(_ => 1L)];
        }

        if (steps.Any(s => s != 1))
        {
            throw c.Unsupported("only slices with step 1 are supported");
        }

        var before = new string[rank];
        var after = new string[rank];
        var zero = e.Int64s(0);
        for (var d = 0; d < rank; d++)
        {
            before[d] = zero;
            after[d] = zero;
        }

        for (var k = 0; k < axes.Length; k++)
        {
            var axis = GradientContext.Axis(axes[k], rank);
            var dim = e.Dim(c.I(0), axis);
            var start = starts[k] >= 0 ? e.Int64s(starts[k]) : e.Add(dim, e.Int64s(starts[k]));
            var outDim = e.Dim(c.O(0), axis);
            before[axis] = start;
            after[axis] = e.Sub(e.Sub(dim, start), outDim);
        }

        var pads = e.Op("Concat", [.. before, .. after], Attributes.Int("axis", 0));
        c.SetGI(0, e.Op("Pad", [c.GOOrZeros(0), pads]));
    }

    [GradientRule("Gather")]
    public static void Gather(GradientContext c)
    {
        if (c.NeedsGI(1))
        {
            throw c.Unsupported("indices cannot depend on the attributed layer");
        }

        // y = gather(x, idx, axis): dx[.., j, ..] = sum over idx positions i with idx[i] == j of dy[.., i, ..].
        // Done as a one-hot matrix product so that repeated indices accumulate.
        var e = c.E;
        var rankX = c.Rank(c.I(0));
        var rankIdx = c.Rank(c.I(1));
        var axis = GradientContext.Axis(c.Node.GetInt("axis", 0), rankX);
        var dy = c.GOOrZeros(0);

        // dy: x.shape[:axis] + idx.shape + x.shape[axis+1:] -> idx dims first, then the rest.
        var rankY = rankX - 1 + rankIdx;
        var perm = Enumerable.Range((int)axis, rankIdx)
            .Concat(Enumerable.Range(0, (int)axis))
            .Concat(Enumerable.Range((int)axis + rankIdx, rankY - (int)axis - rankIdx))
            .Select(i => (long)i).ToArray();
        var dyT = perm.SequenceEqual(Enumerable.Range(0, rankY).Select(i => (long)i)) ? dy : e.Transpose(dy, perm);
        // [N_idx, rest]: the product of the idx dims first (1 for a scalar index or when nothing is left).
        var nIdx = rankIdx == 0 ? e.Int64s(1) : e.Op("ReduceProd", [e.Shape(c.I(1))], Attributes.Int("keepdims", 1));
        var dyFlat = e.Reshape(dyT, e.Op("Concat", [nIdx, e.Int64s(-1)], Attributes.Int("axis", 0)));

        var depth = e.Dim(c.I(0), axis);
        var flatIdx = e.Reshape(c.I(1), e.Int64s(-1));
        var oneHot = e.Op("OneHot", [flatIdx, depth, e.Op("Constant", [], Attributes.Tensor("value", Tensors.FromFloats("v", [0f, 1f], 2)))],
            Attributes.Int("axis", -1));
        // [N_idx, depth]^T @ [N_idx, rest] = [depth, rest]
        var dxFlat = e.MatMul(e.Transpose(oneHot, [1, 0]), dyFlat);

        // back to x.shape[axis], x.shape[:axis], x.shape[axis+1:], then move the axis home.
        var shapeX = e.Shape(c.I(0));
        var parts = new List<string> { e.Dim(c.I(0), axis) };
        if (axis > 0) parts.Add(e.Op("Slice", [shapeX, e.Int64s(0), e.Int64s(axis)]));
        if (axis < rankX - 1) parts.Add(e.Op("Slice", [shapeX, e.Int64s(axis + 1), e.Int64s(rankX)]));
        var dxT = e.Reshape(dxFlat, parts.Count == 1 ? parts[0] : e.Op("Concat", [.. parts], Attributes.Int("axis", 0)));
        if (axis == 0)
        {
            c.SetGI(0, dxT);
            return;
        }

        var back = new long[rankX];
        for (var i = 0; i < rankX; i++)
        {
            back[i] = i < axis ? i + 1 : i == axis ? 0 : i;
        }

        c.SetGI(0, e.Transpose(dxT, back));
    }
}
