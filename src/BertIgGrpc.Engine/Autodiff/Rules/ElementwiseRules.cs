using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Engine.Autodiff.Rules;

/// <summary>Gradients of element-wise arithmetic and activations. Broadcast operands are summed back to their shape.</summary>
internal static class ElementwiseRules
{
    [GradientRule("Add")]
    public static void Add(GradientContext c)
    {
        var dy = c.GOOrZeros(0);
        if (c.NeedsGI(0)) c.SetGI(0, c.ReduceTo(0, dy));
        if (c.NeedsGI(1)) c.SetGI(1, c.ReduceTo(1, dy));
    }

    [GradientRule("Sub")]
    public static void Sub(GradientContext c)
    {
        var dy = c.GOOrZeros(0);
        if (c.NeedsGI(0)) c.SetGI(0, c.ReduceTo(0, dy));
        if (c.NeedsGI(1)) c.SetGI(1, c.ReduceTo(1, c.E.Neg(dy)));
    }

    [GradientRule("Mul")]
    public static void Mul(GradientContext c)
    {
        var dy = c.GOOrZeros(0);
        if (c.NeedsGI(0)) c.SetGI(0, c.ReduceTo(0, c.E.Mul(dy, c.I(1))));
        if (c.NeedsGI(1)) c.SetGI(1, c.ReduceTo(1, c.E.Mul(dy, c.I(0))));
    }

    [GradientRule("Div")]
    public static void Div(GradientContext c)
    {
        // y = a / b: da = dy / b; db = -dy * y / b
        var dy = c.GOOrZeros(0);
        if (c.NeedsGI(0))
        {
            // A constant scalar divisor becomes a Mul by its reciprocal, a little cheaper on ONNX Runtime's CPU (attention's
            // 1/sqrt(d) in the benchmarks' profiles, before ScaledSoftmax took that one over).
            var divisor = c.Forward.ConstantValue(c.I(1)) is { DataType: Tensors.Float } t && Tensors.ToFloats(t) is [var v] && v != 0f ? v : (float?)null;
            var da = divisor is { } d ? c.E.Mul(dy, c.E.FloatScalar(1f / d)) : c.E.Div(dy, c.I(1));
            c.SetGI(0, c.ReduceTo(0, da));
        }

        if (c.NeedsGI(1)) c.SetGI(1, c.ReduceTo(1, c.E.Neg(c.E.Mul(dy, c.E.Div(c.O(0), c.I(1))))));
    }

    [GradientRule("Pow")]
    public static void Pow(GradientContext c)
    {
        // y = a ^ p: da = dy * p * a^(p-1); dp = dy * y * ln(a)
        var dy = c.GOOrZeros(0);
        var e = c.E;
        if (c.NeedsGI(0))
        {
            // A constant exponent (x^2 in LayerNorm) is folded now: generic Pow(x, 1.0) is slow in ONNX Runtime.
            var constant = c.Forward.ConstantValue(c.I(1)) is { DataType: Tensors.Float } t && Tensors.ToFloats(t) is [var v] ? v : (float?)null;
            string da;
            if (constant is { } k)
            {
                var power = k == 2f ? c.I(0) : k == 1f ? null : e.Op("Pow", [c.I(0), e.FloatScalar(k - 1f)]);
                da = power is null ? e.Mul(dy, e.FloatScalar(k)) : e.Mul(dy, e.Mul(power, e.FloatScalar(k)));
            }
            else
            {
                var p = c.ElemType(c.I(1)) == c.ElemType(c.I(0)) ? c.I(1) : e.Op("Cast", [c.I(1)], Onnx.Attributes.Int("to", c.ElemType(c.I(0))));
                da = e.Mul(dy, e.Mul(p, e.Op("Pow", [c.I(0), e.Sub(p, e.FloatScalar(1f))])));
            }

            c.SetGI(0, c.ReduceTo(0, da));
        }

        if (c.NeedsGI(1))
        {
            c.SetGI(1, c.ReduceTo(1, e.Mul(dy, e.Mul(c.O(0), e.Op("Log", [c.I(0)])))));
        }
    }

    [GradientRule("Sqrt")]
    public static void Sqrt(GradientContext c)
        => c.SetGI(0, c.E.Div(c.GOOrZeros(0), c.E.Mul(c.O(0), c.E.FloatScalar(2f))));

    [GradientRule("Neg")]
    public static void Neg(GradientContext c) => c.SetGI(0, c.E.Neg(c.GOOrZeros(0)));

    [GradientRule("Exp")]
    public static void Exp(GradientContext c) => c.SetGI(0, c.E.Mul(c.GOOrZeros(0), c.O(0)));

    [GradientRule("Log")]
    public static void Log(GradientContext c) => c.SetGI(0, c.E.Div(c.GOOrZeros(0), c.I(0)));

    [GradientRule("Erf")]
    public static void Erf(GradientContext c)
    {
        // d erf(x)/dx = 2/sqrt(pi) * exp(-x^2)
        var e = c.E;
        var x2 = e.Mul(c.I(0), c.I(0));
        var g = e.Mul(e.Op("Exp", [e.Neg(x2)]), e.FloatScalar((float)(2.0 / Math.Sqrt(Math.PI))));
        c.SetGI(0, e.Mul(c.GOOrZeros(0), g));
    }

    [GradientRule("Tanh")]
    public static void Tanh(GradientContext c)
    {
        var e = c.E;
        var oneMinusY2 = e.Sub(e.FloatScalar(1f), e.Mul(c.O(0), c.O(0)));
        c.SetGI(0, e.Mul(c.GOOrZeros(0), oneMinusY2));
    }

    [GradientRule("Sigmoid")]
    public static void Sigmoid(GradientContext c)
    {
        var e = c.E;
        var g = e.Mul(c.O(0), e.Sub(e.FloatScalar(1f), c.O(0)));
        c.SetGI(0, e.Mul(c.GOOrZeros(0), g));
    }

    [GradientRule("Relu")]
    public static void Relu(GradientContext c)
    {
        var e = c.E;
        var positive = e.Op("Greater", [c.I(0), e.FloatScalar(0f)]);
        c.SetGI(0, e.Op("Where", [positive, c.GOOrZeros(0), e.FloatScalar(0f)]));
    }

    [GradientRule("Gelu")]
    public static void Gelu(GradientContext c)
    {
        var e = c.E;
        var x = c.I(0);
        if (c.Node.GetStringAttr("approximate", "none") == "tanh")
        {
            // y = 0.5 x (1 + tanh(u)), u = k (x + 0.044715 x^3), k = sqrt(2/pi)
            // dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2)
            var k = (float)Math.Sqrt(2.0 / Math.PI);
            var x2 = e.Mul(x, x);
            var u = e.Mul(e.FloatScalar(k), e.Add(x, e.Mul(e.FloatScalar(0.044715f), e.Mul(x2, x))));
            var t = e.Op("Tanh", [u]);
            var left = e.Mul(e.FloatScalar(0.5f), e.Add(e.FloatScalar(1f), t));
            var du = e.Mul(e.FloatScalar(k), e.Add(e.FloatScalar(1f), e.Mul(e.FloatScalar(3f * 0.044715f), x2)));
            var right = e.Mul(e.Mul(e.FloatScalar(0.5f), x), e.Mul(e.Sub(e.FloatScalar(1f), e.Mul(t, t)), du));
            c.SetGI(0, e.Mul(c.GOOrZeros(0), e.Add(left, right)));
            return;
        }

        // y = x Phi(x): dy/dx = Phi(x) + x phi(x) = (1 + erf(a) + a (2/sqrt(pi)) exp(-a^2)) / 2 with a = x / sqrt(2).
        // Written for few passes over the [rows, tokens, 4 hidden] tensor (ONNX Runtime runs each op as one pass):
        // 2/sqrt(pi) goes into the exponent, and one Sum adds the three terms.
        var a = e.Mul(x, e.FloatScalar((float)(1.0 / Math.Sqrt(2.0))));
        var exponent = e.Sub(e.FloatScalar((float)Math.Log(2.0 / Math.Sqrt(Math.PI))), e.Mul(a, a));
        var twice = e.Op("Sum", [e.Op("Erf", [a]), e.Mul(a, e.Op("Exp", [exponent])), e.FloatScalar(1f)]);
        c.SetGI(0, e.Mul(e.Mul(c.GOOrZeros(0), twice), e.FloatScalar(0.5f)));
    }

    [GradientRule("Where")]
    public static void Where(GradientContext c)
    {
        if (c.NeedsGI(0))
        {
            throw c.Unsupported("the condition depends on the attributed layer");
        }

        var e = c.E;
        var dy = c.GOOrZeros(0);
        var zero = e.FloatScalar(0f);
        if (c.NeedsGI(1)) c.SetGI(1, c.ReduceTo(1, e.Op("Where", [c.I(0), dy, zero])));
        if (c.NeedsGI(2)) c.SetGI(2, c.ReduceTo(2, e.Op("Where", [c.I(0), zero, dy])));
    }

    // Inference-mode Dropout is the identity on its first output.
    [GradientRule("Identity", "Dropout")]
    public static void Identity(GradientContext c) => c.SetGI(0, c.GOOrZeros(0));

    [GradientRule("Cast")]
    public static void Cast(GradientContext c)
        => c.SetGI(0, c.E.Op("Cast", [c.GOOrZeros(0)], Onnx.Attributes.Int("to", c.ElemType(c.I(0)))));
}
