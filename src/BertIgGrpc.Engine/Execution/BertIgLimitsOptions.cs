namespace BertIgGrpc.Engine.Execution;

/// <summary>Per-request limits and the memory budget, bound from <c>BertIg:Limits</c>. Checked before any work is done.</summary>
public sealed class BertIgLimitsOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "BertIg:Limits";

    /// <summary>
    /// Gets or sets the largest tokens x steps of one explanation (steps: <c>n_steps</c>, or <c>max_steps</c> in adaptive
    /// mode); 0 or less: no limit. Defaults to 131072 (512 tokens x 256 steps).
    /// </summary>
    public long MaxTokenSteps { get; set; } = 512 * 256;

    /// <summary>
    /// Gets or sets the largest sum of tokens over the texts of one Predict; 0 or less: no limit. Defaults to 32768
    /// (64 texts of 512 tokens).
    /// </summary>
    public long MaxPredictTokens { get; set; } = 32768;

    /// <summary>
    /// Gets or sets the most tokens of Predict calls the server computes at once, over all calls and models; a call with
    /// more tokens than that counts as the whole budget (it runs alone). Calls beyond it wait in arrival order (at most
    /// <c>BertIg:Server:MaxQueueLength</c> of them, each until its deadline); beyond the queue they are refused with
    /// <c>RESOURCE_EXHAUSTED</c>. Predict calls do not take explanation slots. 0 or less: the tokens that the runs the
    /// memory budget is sized for (one per processor and run in flight, see <see cref="MaxRunMemoryMB"/>) hold at the
    /// model's longest texts (<see cref="ResolveMaxPredictTokensInFlight"/>). Defaults to 0.
    /// </summary>
    public long MaxPredictTokensInFlight { get; set; }

    /// <summary>
    /// Gets or sets the memory one ONNX Runtime run on CPU may take, in MiB: the engine picks the rows per run (at most the
    /// request's <c>internal_batch_size</c>) from the model's estimated activation memory per row. 0 or less: sized so
    /// that one explanation per processor, each with its runs in flight, fits in half of the memory available to the
    /// process. Defaults to 0. Runs on CUDA are sized by <see cref="MaxGpuRunMemoryMB"/> instead.
    /// </summary>
    public int MaxRunMemoryMB { get; set; }

    /// <summary>
    /// Gets or sets the device memory one ONNX Runtime run may take on CUDA, in MiB (there it replaces
    /// <see cref="MaxRunMemoryMB"/>, which sizes runs by the host's memory). 0 or less: half of the device's memory (at
    /// most what was free when the first model loaded) shared by the runs the server's models keep in flight, however
    /// many calls run: each model's gradient runs (shared by concurrent explanations) and as many Predict runs, so 10 GiB
    /// a run on an 80 GiB device with one model, 5 GiB with two; <see cref="FallbackGpuRunMemoryMB"/> when the CUDA
    /// runtime cannot say. Defaults to 0. A value set here is each model's, whatever their number.
    /// </summary>
    public int MaxGpuRunMemoryMB { get; set; }

    /// <summary>The GPU run budget, in MiB, when <see cref="MaxGpuRunMemoryMB"/> is 0 and the device's memory is unknown.</summary>
    public const int FallbackGpuRunMemoryMB = 1024;

    /// <summary>Gets the configuration key of the budget that sizes runs on <paramref name="executionProvider"/>.</summary>
    public static string RunMemoryKey(string executionProvider)
        => SectionName + ":" + (executionProvider == SessionFactory.Cuda ? nameof(MaxGpuRunMemoryMB) : nameof(MaxRunMemoryMB));

    /// <summary>Gets the effective memory budget of one run in bytes on <paramref name="executionProvider"/>.</summary>
    /// <param name="runsInFlight">Runs one explanation keeps in flight.</param>
    /// <param name="executionProvider">The provider the sessions run on: CUDA is sized by device memory (<see cref="ResolveMaxGpuRunMemoryBytes"/>), any other by host memory.</param>
    /// <param name="models">The models the server loads (they share the device).</param>
    public long ResolveMaxRunMemoryBytes(int runsInFlight, string executionProvider, int models = 1)
        => executionProvider == SessionFactory.Cuda
            ? ResolveMaxGpuRunMemoryBytes(runsInFlight, MaxGpuRunMemoryMB > 0 ? null : GpuMemory.AtFirstUse, models)
            : ResolveMaxRunMemoryBytes(runsInFlight);

    /// <summary>Gets the effective GPU budget of one run in bytes (see <see cref="MaxGpuRunMemoryMB"/>).</summary>
    /// <param name="runsInFlight">Runs one explanation keeps in flight.</param>
    /// <param name="device">The device's memory, or <c>null</c> when unknown.</param>
    /// <param name="models">The models the server loads: the default is shared by all their runs.</param>
    public long ResolveMaxGpuRunMemoryBytes(int runsInFlight, GpuMemoryInfo? device, int models = 1)
    {
        if (MaxGpuRunMemoryMB > 0)
        {
            return MaxGpuRunMemoryMB * 1024L * 1024L;
        }

        if (device is not { TotalBytes: > 0 } memory)
        {
            return FallbackGpuRunMemoryMB * 1024L * 1024L;
        }

        // Half the device: the rest for the weights, the CUDA context, cuBLAS workspaces and the arena's rounding.
        var pool = Math.Min(memory.TotalBytes / 2, Math.Max(0, memory.FreeBytes));
        // runsInFlight gradient runs (PathRunScheduler) and as many Predict runs (PredictBatcher) per model.
        return Math.Max(64L * 1024 * 1024, pool / (2L * Math.Max(1, runsInFlight) * Math.Max(1, models)));
    }

    /// <summary>Gets the effective memory budget of one run in bytes on CPU (host memory).</summary>
    /// <param name="runsInFlight">Runs one explanation keeps in flight.</param>
    public long ResolveMaxRunMemoryBytes(int runsInFlight)
    {
        if (MaxRunMemoryMB > 0)
        {
            return MaxRunMemoryMB * 1024L * 1024L;
        }

        // TotalAvailableMemoryBytes honours container limits (cgroups) as well as the machine's memory.
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return Math.Max(64L * 1024 * 1024, available / 2 / (Environment.ProcessorCount * (long)Math.Max(1, runsInFlight)));
    }

    /// <summary>Gets the effective <see cref="MaxPredictTokensInFlight"/> for a model.</summary>
    /// <param name="tokensPerRun">Tokens one run within the memory budget holds at the model's longest texts (rows x length).</param>
    /// <param name="runsInFlight">Runs one explanation keeps in flight (as for <see cref="ResolveMaxRunMemoryBytes(int, string, int)"/>).</param>
    public long ResolveMaxPredictTokensInFlight(long tokensPerRun, int runsInFlight)
        => MaxPredictTokensInFlight > 0
            ? MaxPredictTokensInFlight
            : Math.Max(1, tokensPerRun) * Environment.ProcessorCount * Math.Max(1, runsInFlight);
}
