using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Engine.Autodiff.Rules;

/// <summary>Gradients of MatMul (batched, broadcasting) and Gemm.</summary>
internal static class LinearAlgebraRules
{
    [GradientRule("MatMul")]
    public static void MatMul(GradientContext c)
    {
        var e = c.E;
        var rankA = c.Rank(c.I(0));
        var rankB = c.Rank(c.I(1));
        if (rankA < 2 || rankB < 2)
        {
            throw c.Unsupported("MatMul with a 1-D operand is not supported");
        }

        var dy = c.GOOrZeros(0);
        var outShape = c.Shape(c.O(0));
        var batch = outShape[..^2];
        if (c.NeedsGI(0))
        {
            // dA = dY @ B^T, summed over broadcast batch dims. [.., M, N] @ [.., N, K] -> [.., M, K]
            var da = e.MatMul(dy, e.Transpose(c.I(1), SwapLast(rankB)));
            var shapeA = c.Shape(c.I(0));
            c.SetGI(0, e.ReduceToOperand(da, [.. batch, shapeA[^2], shapeA[^1]], c.I(0), shapeA));
        }

        if (c.NeedsGI(1))
        {
            // dB = A^T @ dY. [.., K, M] @ [.., M, N] -> [.., K, N]
            var db = e.MatMul(e.Transpose(c.I(0), SwapLast(rankA)), dy);
            var shapeB = c.Shape(c.I(1));
            c.SetGI(1, e.ReduceToOperand(db, [.. batch, shapeB[^2], shapeB[^1]], c.I(1), shapeB));
        }
    }

    [GradientRule("Gemm")]
    public static void Gemm(GradientContext c)
    {
        // Y = alpha * op(A) @ op(B) + beta * C, op = optional transpose.
        var e = c.E;
        var alpha = c.Node.GetFloat("alpha", 1f);
        var beta = c.Node.GetFloat("beta", 1f);
        var transA = c.Node.GetInt("transA", 0) != 0;
        var transB = c.Node.GetInt("transB", 0) != 0;
        var dy = c.GOOrZeros(0);
        var scaled = alpha == 1f ? dy : e.Mul(dy, e.FloatScalar(alpha));
        if (c.NeedsGI(0))
        {
            var opB = transB ? e.Transpose(c.I(1), [1, 0]) : c.I(1);
            var dOpA = e.MatMul(scaled, e.Transpose(opB, [1, 0]));
            c.SetGI(0, transA ? e.Transpose(dOpA, [1, 0]) : dOpA);
        }

        if (c.NeedsGI(1))
        {
            var opA = transA ? e.Transpose(c.I(0), [1, 0]) : c.I(0);
            var dOpB = e.MatMul(e.Transpose(opA, [1, 0]), scaled);
            c.SetGI(1, transB ? e.Transpose(dOpB, [1, 0]) : dOpB);
        }

        if (c.Node.Input.Count > 2 && c.NeedsGI(2))
        {
            var dc = beta == 1f ? dy : e.Mul(dy, e.FloatScalar(beta));
            c.SetGI(2, c.ReduceTo(2, dc));
        }
    }

    private static long[] SwapLast(int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return perm;
    }
}
