using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// ONNX Runtime's CPU arena is kept after runs within the run memory budget (<c>BertIg:Limits:MaxRunMemoryMB</c>), the
/// same budget the engine sizes its runs by, and given back after larger runs.
/// </summary>
public class ArenaPolicyTests
{
    private static OnnxAttributionRuntime Runtime(BertIgLimitsOptions limits)
        => OnnxAttributionRuntime.Create(MiniLmClassifier.Model, null, "logits", new RuntimeSettings { ExecutionProvider = "cpu", Limits = limits }, NullLogger.Instance);

    [Fact]
    public void KeptArenaBytes_IsTheRunMemoryBudget_SoEveryBudgetedRunKeepsItsArena()
    {
        var limits = new BertIgLimitsOptions { MaxRunMemoryMB = 10 };
        using var runtime = Runtime(limits);
        using var model = MiniLmClassifier.CreateExplainer(limits);

        Assert.Equal(10L << 20, runtime.KeptArenaBytes);
        Assert.Equal(model.RunMemoryBudgetBytes, runtime.KeptArenaBytes);
        foreach (var tokens in new[] { 14, 128, 512 })
        {
            var rows = model.MaxRowsPerRun(tokens);
            Assert.Equal(rows * runtime.ActivationBytesPerRow(tokens) > runtime.KeptArenaBytes, runtime.ShrinksArena(rows, tokens)); // only a single row over the budget
            Assert.True(runtime.ShrinksArena(rows + 1, tokens));
        }

        Assert.False(runtime.ShrinksArena(model.MaxRowsPerRun(14), 14));
    }

    [Fact]
    public void KeptArenaBytes_DefaultBudget_FollowsTheResolvedDefault()
    {
        var limits = new BertIgLimitsOptions();
        using var runtime = Runtime(limits);

        Assert.Equal(limits.ResolveMaxRunMemoryBytes(LayerIntegratedGradients.RunsInFlight), runtime.KeptArenaBytes);
    }

    [Fact]
    public void Runs_OverTheBudget_GiveTheArenaBackWithTheSameResults()
    {
        using var shrinking = Runtime(new BertIgLimitsOptions { MaxRunMemoryMB = 1 });
        using var keeping = Runtime(new BertIgLimitsOptions { MaxRunMemoryMB = 1024 });
        const int rows = 3, tokens = 9;
        Assert.True(shrinking.ShrinksArena(rows, tokens));
        Assert.False(keeping.ShrinksArena(rows, tokens));
        var ids = Enumerable.Range(0, rows * tokens).Select(i => (long)(1000 + (i * 37 % 500))).ToArray();
        var mask = Enumerable.Repeat(1L, rows * tokens).ToArray();
        var types = new long[rows * tokens];

        for (var run = 0; run < 2; run++)
        {
            var a = shrinking.Forward(ids, mask, types, rows, tokens);
            var b = keeping.Forward(ids, mask, types, rows, tokens);
            Assert.Equal(b.Logits, a.Logits);
            var seed = Enumerable.Range(0, rows * 2).Select(i => i % 2 == 0 ? 1f : 0f).ToArray();
            var ga = shrinking.Gradient(a.Cut, mask, types, seed, rows, tokens);
            var gb = keeping.Gradient(b.Cut, mask, types, seed, rows, tokens);
            Assert.Equal(gb.Gradient, ga.Gradient);
        }
    }
}
