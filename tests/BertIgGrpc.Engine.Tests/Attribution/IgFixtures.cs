using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>Inputs, settings and the closed-form reference shared by the <see cref="LayerIntegratedGradients"/> tests.</summary>
internal static class IgFixtures
{
    internal const int Pad = 0;

    // [CLS] w1 .. wn [SEP] with BERT's ids, and the seed's baseline [CLS] [PAD]*n [SEP].
    internal static IgInput Text(int[] words, int? target = 1, bool zeroBaseline = false, int replacement = Pad)
    {
        var ids = new[] { 101 }.Concat(words).Append(102).ToArray();
        var baseline = ids.Select((id, i) => i == 0 || i == ids.Length - 1 ? id : replacement).ToArray();
        return new IgInput(ids, zeroBaseline ? null : baseline, new int[ids.Length], target);
    }

    internal static readonly IgInput Movie = Text([2023, 3185, 2003, 21688]);

    internal static IgSettings Settings(IntegrationMethod method = IntegrationMethod.GaussLegendre, int steps = 50, int batch = 50,
        bool multiplyByInputs = true, double tolerance = 0, int maxSteps = 2048) =>
        new(method, steps, batch, multiplyByInputs, tolerance, maxSteps);

    /// <summary>Closed form: per token, sum over h of f(L) - f(L'), the exact path integral for a separable model.</summary>
    internal static double[] Analytic(CubicTestRuntime runtime, IgInput input, int target)
    {
        var x = runtime.Cut(input.InputIds, input.TokenTypeIds);
        var b = input.BaselineIds is null ? new float[x.Length] : runtime.Cut(input.BaselineIds, input.TokenTypeIds);
        var h = runtime.HiddenSize;
        var tokens = new double[input.InputIds.Length];
        for (var s = 0; s < tokens.Length; s++)
        {
            for (var k = 0; k < h; k++)
            {
                tokens[s] += runtime.F(target, s, k, x[s * h + k]) - runtime.F(target, s, k, b[s * h + k]);
            }
        }

        return tokens;
    }

    /// <summary>Reports synchronously on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    internal sealed class InlineProgress(Action<IgProgress> action) : IProgress<IgProgress>
    {
        public void Report(IgProgress value) => action(value);
    }
}
