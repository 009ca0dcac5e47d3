using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>
/// Numeric-vs-analytic gradient checking: builds the gradient model for (cut, output), then compares
/// d(seed . output)/d(cut) with central differences of seed . output, element by element for small cuts and
/// along random directions for large ones. The forward values come from the gradient model itself; at the
/// original model's own cut value (no <c>cutValue</c> given) its output is first checked against the original model's.
/// </summary>
internal static class GradientChecker
{
    public sealed record Report(double MaxError, double Scale, int Checks);

    public static Report Check(
        ModelProto model, string cut, string output, IReadOnlyDictionary<string, (Array Data, long[] Shape)> feeds,
        int seed = 1, double eps = 3e-3, double tolerance = 2e-3, int directions = 4, float[]? cutValue = null)
    {
        var rnd = new Random(seed);
        var ortFeeds = feeds.ToDictionary(kv => kv.Key, kv => ToOrt(kv.Value.Data, kv.Value.Shape));
        try
        {
            var info = ShapeProbe.Run(model, ortFeeds);
            var gm = GradientGraphBuilder.Build(model, cut, output, info);
            var cutShape = info[cut].Shape;
            var outShape = info[output].Shape;
            var seedValues = RandomFloats(rnd, (int)Count(outShape));

            // The cut's value: the fed value for graph inputs, else the original model's activation.
            var x = cutValue ?? (feeds.TryGetValue(cut, out var f) ? (float[])f.Data : ForwardValue(model, cut, ortFeeds));
            using var session = new InferenceSession(OnnxModelFile.ToBytes(gm.Model));

            (float[] Out, float[] Grad) Run(float[] c)
            {
                var names = new List<string> { gm.CutInput, gm.SeedInput };
                var values = new List<OrtValue> { ToOrt(c, cutShape), ToOrt(seedValues, outShape) };
                foreach (var other in gm.OtherInputs)
                {
                    names.Add(other);
                    values.Add(ToOrt(feeds[other].Data, feeds[other].Shape));
                }

                using var ro = new RunOptions();
                using var results = session.Run(ro, names, values, [gm.LogitsOutput, gm.GradientOutput]);
                foreach (var v in values) v.Dispose();
                return (results[0].GetTensorDataAsSpan<float>().ToArray(), results[1].GetTensorDataAsSpan<float>().ToArray());
            }

            double F(float[] c)
            {
                var o = Run(c).Out;
                double acc = 0;
                for (var i = 0; i < o.Length; i++) acc += (double)seedValues[i] * o[i];
                return acc;
            }

            var (forward, grad) = Run(x);
            Assert.Equal(x.Length, grad.Length);
            if (cutValue is null)
            {
                // Fed the cut's own value, the gradient model's forward part must reproduce the original output.
                var original = ForwardValue(model, output, ortFeeds);
                Assert.Equal(original.Length, forward.Length);
                for (var i = 0; i < original.Length; i++)
                {
                    Assert.True(Math.Abs(original[i] - forward[i]) <= 1e-4 * Math.Max(1.0, Math.Abs(original[i])),
                        $"forward mismatch at {i}: original model {original[i]:G7}, gradient model {forward[i]:G7}");
                }
            }

            double maxError = 0, scale = 0;
            var checks = 0;
            void Compare(float[] direction)
            {
                var plus = x.Select((v, i) => (float)(v + eps * direction[i])).ToArray();
                var minus = x.Select((v, i) => (float)(v - eps * direction[i])).ToArray();
                var numeric = (F(plus) - F(minus)) / (2 * eps);
                double analytic = 0;
                for (var i = 0; i < grad.Length; i++) analytic += (double)grad[i] * direction[i];
                var error = Math.Abs(numeric - analytic) / Math.Max(1.0, Math.Abs(numeric));
                Assert.True(error <= tolerance,
                    $"gradient mismatch: numeric {numeric:G7}, analytic {analytic:G7}, relative error {error:E2} > {tolerance:E1}");
                maxError = Math.Max(maxError, error);
                scale = Math.Max(scale, Math.Abs(analytic));
                checks++;
            }

            if (x.Length <= 64)
            {
                for (var i = 0; i < x.Length; i++)
                {
                    var e = new float[x.Length];
                    e[i] = 1f;
                    Compare(e);
                }
            }

            for (var d = 0; d < directions; d++) Compare(RandomFloats(rnd, x.Length));
            Assert.True(scale > 1e-6, "the gradient is identically zero: the check would prove nothing");
            return new Report(maxError, scale, checks);
        }
        finally
        {
            foreach (var v in ortFeeds.Values) v.Dispose();
        }
    }

    public static float[] RandomFloats(Random rnd, int count, double scale = 1.0)
        => Enumerable.Range(0, count).Select(_ => (float)((rnd.NextDouble() * 2 - 1) * scale)).ToArray();

    public static long Count(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    private static float[] ForwardValue(ModelProto model, string tensor, Dictionary<string, OrtValue> feeds)
    {
        var m = model.Clone();
        m.Graph.Output.Clear();
        m.Graph.Output.Add(new ValueInfoProto { Name = tensor });
        using var session = new InferenceSession(OnnxModelFile.ToBytes(m));
        using var ro = new RunOptions();
        using var results = session.Run(ro, feeds.Keys.ToArray(), feeds.Values.ToArray(), [tensor]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static OrtValue ToOrt(Array data, long[] shape) => data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, shape),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, shape),
        bool[] b => OrtValue.CreateTensorValueFromMemory(b, shape),
        _ => throw new ArgumentException($"unsupported feed type {data.GetType()}"),
    };
}
