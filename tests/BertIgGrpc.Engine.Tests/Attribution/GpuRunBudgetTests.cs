using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// Runs on CUDA are sized by the GPU budget (<c>BertIg:Limits:MaxGpuRunMemoryMB</c>, or a share of the device's memory,
/// or a fixed fallback), runs on CPU by the host budget (<c>MaxRunMemoryMB</c>) as before.
/// </summary>
public class GpuRunBudgetTests
{
    private const long MiB = 1024 * 1024;
    private const long GiB = 1024 * MiB;
    private const int RunsInFlight = LayerIntegratedGradients.RunsInFlight;

    [Fact]
    public void GpuBudget_Configured_WinsOverTheDevice()
    {
        var limits = new BertIgLimitsOptions { MaxGpuRunMemoryMB = 300, MaxRunMemoryMB = 7 };

        Assert.Equal(300 * MiB, limits.ResolveMaxGpuRunMemoryBytes(RunsInFlight, new GpuMemoryInfo(79 * GiB, 80 * GiB)));
        Assert.Equal(300 * MiB, limits.ResolveMaxGpuRunMemoryBytes(RunsInFlight, null));
        Assert.Equal(300 * MiB, limits.ResolveMaxRunMemoryBytes(RunsInFlight, SessionFactory.Cuda));
    }

    [Fact]
    public void GpuBudget_Default_IsHalfTheDeviceSharedByTheModelsGradientAndPredictRuns()
    {
        var limits = new BertIgLimitsOptions { MaxRunMemoryMB = 7 }; // the host budget plays no part on CUDA

        // 80 GiB device, almost all free: 40 GiB for 2 gradient and 2 Predict runs = 10 GiB a run.
        Assert.Equal(40 * GiB / (2 * RunsInFlight), limits.ResolveMaxGpuRunMemoryBytes(RunsInFlight, new GpuMemoryInfo(79 * GiB, 80 * GiB)));
        Assert.Equal(10 * GiB, limits.ResolveMaxGpuRunMemoryBytes(2, new GpuMemoryInfo(79 * GiB, 80 * GiB)));
        Assert.Equal(20 * GiB, limits.ResolveMaxGpuRunMemoryBytes(1, new GpuMemoryInfo(79 * GiB, 80 * GiB)));
        // Less free than half (another process holds the device): what is free is shared.
        Assert.Equal(8 * GiB / 4, limits.ResolveMaxGpuRunMemoryBytes(2, new GpuMemoryInfo(8 * GiB, 80 * GiB)));
        // A tiny or full device still gets 64 MiB (one row is always run).
        Assert.Equal(64 * MiB, limits.ResolveMaxGpuRunMemoryBytes(2, new GpuMemoryInfo(0, 80 * GiB)));
        // Unknown device (the CUDA runtime could not be asked): the fixed fallback.
        Assert.Equal(BertIgLimitsOptions.FallbackGpuRunMemoryMB * MiB, limits.ResolveMaxGpuRunMemoryBytes(2, null));
        Assert.Equal(BertIgLimitsOptions.FallbackGpuRunMemoryMB * MiB, limits.ResolveMaxGpuRunMemoryBytes(2, new GpuMemoryInfo(0, 0)));
        Assert.Equal(limits.ResolveMaxGpuRunMemoryBytes(RunsInFlight, GpuMemory.AtFirstUse), limits.ResolveMaxRunMemoryBytes(RunsInFlight, SessionFactory.Cuda));
    }

    [Fact]
    public void GpuBudget_Default_IsSharedByTheServersModels_AConfiguredOneIsEachModels()
    {
        var device = new GpuMemoryInfo(79 * GiB, 80 * GiB);
        var byDefault = new BertIgLimitsOptions();
        var configured = new BertIgLimitsOptions { MaxGpuRunMemoryMB = 300 };

        // Two models on one 80 GiB device: 40 GiB for 2 x (2 gradient + 2 Predict) runs = 5 GiB a run, not 10 each.
        Assert.Equal(5 * GiB, byDefault.ResolveMaxGpuRunMemoryBytes(2, device, models: 2));
        Assert.Equal(byDefault.ResolveMaxGpuRunMemoryBytes(2, device) / 4, byDefault.ResolveMaxGpuRunMemoryBytes(2, device, models: 4));
        Assert.Equal(300 * MiB, configured.ResolveMaxGpuRunMemoryBytes(2, device, models: 4));
        Assert.Equal(300 * MiB, configured.ResolveMaxRunMemoryBytes(2, SessionFactory.Cuda, models: 4));
        // CPU runs are sized by the host budget, which counts explanations across the server, not models.
        Assert.Equal(byDefault.ResolveMaxRunMemoryBytes(2), byDefault.ResolveMaxRunMemoryBytes(2, SessionFactory.Cpu, models: 4));
    }

    [Fact]
    public void CpuBudget_IsUnchanged_AndIgnoresTheGpuKey()
    {
        var configured = new BertIgLimitsOptions { MaxRunMemoryMB = 7, MaxGpuRunMemoryMB = 300 };
        var byDefault = new BertIgLimitsOptions { MaxGpuRunMemoryMB = 300 };

        Assert.Equal(7 * MiB, configured.ResolveMaxRunMemoryBytes(RunsInFlight, SessionFactory.Cpu));
        Assert.Equal(7 * MiB, configured.ResolveMaxRunMemoryBytes(RunsInFlight, "TestExecutionProvider"));
        Assert.Equal(byDefault.ResolveMaxRunMemoryBytes(RunsInFlight), byDefault.ResolveMaxRunMemoryBytes(RunsInFlight, SessionFactory.Cpu));
        Assert.Equal("BertIg:Limits:MaxRunMemoryMB", BertIgLimitsOptions.RunMemoryKey(SessionFactory.Cpu));
        Assert.Equal("BertIg:Limits:MaxGpuRunMemoryMB", BertIgLimitsOptions.RunMemoryKey(SessionFactory.Cuda));
    }

    [Fact]
    public void GpuMemory_Query_AnswersOrSaysUnknown_WithoutThrowing()
    {
        var info = GpuMemory.Query(); // null on a machine without the CUDA runtime

        if (info is { } memory)
        {
            Assert.InRange(memory.FreeBytes, 0, memory.TotalBytes);
        }
    }

    [Fact]
    public async Task Explain_OnCuda_RowsPerRunFollowTheGpuBudget_NotTheHostBudget()
    {
        // 8 x 43,690 bytes a row: a 1 MiB budget holds 3 rows of the text's 6 tokens padded to 8.
        const long bytesPerToken = 1024 * 1024 / 24;
        var request = new ExplainRequestOptions { Text = "This movie is superb", Steps = 20 };
        var (tight, tightRuntime) = CubicTestModel.Create(new RuntimeSettings { Limits = new() { MaxRunMemoryMB = 1024, MaxGpuRunMemoryMB = 1 } }, bytesPerToken, provider: SessionFactory.Cuda);
        var (roomy, roomyRuntime) = CubicTestModel.Create(new RuntimeSettings { Limits = new() { MaxRunMemoryMB = 1, MaxGpuRunMemoryMB = 1024 } }, bytesPerToken, provider: SessionFactory.Cuda);
        var (cpu, cpuRuntime) = CubicTestModel.Create(new RuntimeSettings { Limits = new() { MaxRunMemoryMB = 1024, MaxGpuRunMemoryMB = 1 } }, bytesPerToken);
        using (tight)
        using (roomy)
        using (cpu)
        {
            Assert.Equal(1 * MiB, tight.RunMemoryBudgetBytes);
            Assert.Equal(1024 * MiB, roomy.RunMemoryBudgetBytes);
            Assert.Equal(1024 * MiB, cpu.RunMemoryBudgetBytes);

            var a = await tight.ExplainAsync(request);
            var b = await roomy.ExplainAsync(request);
            var c = await cpu.ExplainAsync(request);

            var budgetRows = tight.MaxRowsPerRun(tight.PaddedLength(tight.Tokenizer.CountTokens(request.Text) + 2));
            Assert.InRange(budgetRows, 2, 10);
            Assert.Equal(budgetRows, tightRuntime.GradientRows.Max());
            Assert.Equal(20, roomyRuntime.GradientRows.Max()); // CUDA's default batch: the budget's rows, here all 20 steps in one run
            Assert.Equal(20, cpuRuntime.GradientRows.Max()); // CPU's default batch (25) holds the 20 steps
            // Results do not depend on the split (float sums in another order: within 1e-6).
            Assert.Equal(c.Tokens.Select(t => t.Attribution), a.Tokens.Select(t => t.Attribution), (x, y) => Math.Abs(x - y) <= 1e-6);
            Assert.Equal(c.Tokens.Select(t => t.Attribution), b.Tokens.Select(t => t.Attribution), (x, y) => Math.Abs(x - y) <= 1e-6);
        }
    }

    [Fact]
    public void Plan_AllTargets_OnCuda_NamesTheGpuBudget()
    {
        var (model, _) = CubicTestModel.Create(new RuntimeSettings { Limits = new() { MaxRunMemoryMB = 1024, MaxGpuRunMemoryMB = 1 } }, bytesPerToken: 1024 * 1024 / 8, provider: SessionFactory.Cuda);
        using (model)
        {
            var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(new ExplainRequestOptions { Text = "This movie is superb", AllTargets = true }));

            Assert.Equal("BertIg:Limits:MaxGpuRunMemoryMB", ex.Limit);
            Assert.Contains("BertIg:Limits:MaxGpuRunMemoryMB, 1 MiB", ex.Message);
        }
    }

    [Fact]
    public void ShrinkArenas_OnCpu_NamesOnlyTheCpuArena()
    {
        using var runtime = OnnxAttributionRuntime.Create(MiniLmClassifier.Model, null, "logits",
            new RuntimeSettings { ExecutionProvider = "cpu", Limits = new() { MaxRunMemoryMB = 64, MaxGpuRunMemoryMB = 4096 } }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        Assert.Equal(64 * MiB, runtime.KeptArenaBytes);
        var rows = (int)(runtime.KeptArenaBytes / runtime.ActivationBytesPerRow(16));
        Assert.Null(runtime.ShrinkArenas(rows, 16));
        Assert.Equal("cpu:0", runtime.ShrinkArenas(rows + 1, 16));
    }
}
