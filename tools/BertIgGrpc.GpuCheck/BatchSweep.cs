using System.Text.Json.Nodes;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;

namespace BertIgGrpc.GpuCheck;

/// <summary>The internal batch sizes to time: one explanation of <paramref name="Length"/> tokens x <paramref name="Steps"/> steps per size.</summary>
/// <param name="Length">Token count of the text ([CLS] and [SEP] included).</param>
/// <param name="Steps">Integration steps (rows in all); at least the largest batch, so that size is really run.</param>
/// <param name="Batches">Internal batch sizes to time; 0 is the engine's default (on CUDA: the GPU budget's rows).</param>
/// <param name="Repeats">Timed repetitions per size after one warm-up; the median is reported.</param>
internal sealed record SweepSettings(int Length, int Steps, int[] Batches, int Repeats);

/// <summary>
/// What sizes runs: the run memory budget the engine resolved (on CUDA from the device's memory), the rows per run it
/// allows, and explanation timings at several internal batch sizes, so that a GPU session can pick the best size and
/// see how the device's memory grew against the engine's estimate.
/// </summary>
internal static class BatchSweep
{
    /// <summary>The GPU budget, in MiB, of the model the sizes run on: 400 rows of 128 tokens by the engine's estimate, 85 of 512.</summary>
    public const int WideBudgetMB = 24576;

    /// <summary>On the GPU: 128 tokens x 400 steps at 25, 100, 400 rows per run and the default; 512 tokens x 200 steps at 25, 100 and the default.</summary>
    public static SweepSettings[] Full { get; } = [new(128, 400, [25, 100, 400, 0], 5), new(512, 200, [25, 100, 0], 3)];

    /// <summary>The dry run on a small CPU machine: every code path, little work.</summary>
    public static SweepSettings[] Quick { get; } = [new(32, 16, [4, 16, 0], 1)];

    private static readonly int[] BudgetLengths = [16, 128, 512];

    /// <summary>The run budget of <paramref name="model"/>, the rows per run it allows and the device's memory.</summary>
    public static JsonObject Budget(ExplainerModel model)
    {
        var rows = new JsonArray();
        foreach (var length in BudgetLengths.Where(l => l <= model.MaxTokens))
        {
            var padded = model.PaddedLength(length);
            rows.Add(new JsonObject
            {
                ["tokens"] = length,
                ["padded_to"] = padded,
                ["rows_per_run"] = model.MaxRowsPerRun(padded),
                ["estimated_mb_per_row"] = Math.Round(model.ActivationBytesPerRow(padded) / 1e6, 3),
            });
        }

        return new JsonObject
        {
            ["provider"] = model.ExecutionProvider,
            ["budget_key"] = BertIgLimitsOptions.RunMemoryKey(model.ExecutionProvider),
            ["run_memory_budget_mb"] = Math.Round(model.RunMemoryBudgetBytes / 1048576.0, 1),
            ["gpu_memory_at_first_use"] = Device(GpuMemory.AtFirstUse),
            ["gpu_memory_now"] = Device(GpuMemory.Query()),
            ["by_length"] = rows,
        };
    }

    /// <summary>Times one explanation per internal batch size (medians after a warm-up) and the device's memory after each size.</summary>
    /// <param name="model">Runs the explicit sizes (on CUDA loaded with <see cref="WideBudgetMB"/>).</param>
    /// <param name="defaultModel">Runs size 0, the engine's default, with the default budget.</param>
    /// <param name="sweeps">The lengths, steps and sizes.</param>
    public static async Task<JsonObject> RunAsync(ExplainerModel model, ExplainerModel defaultModel, IEnumerable<SweepSettings> sweeps)
    {
        var before = GpuMemory.Query();
        var results = new JsonArray();
        foreach (var sweep in sweeps.Where(s => s.Length <= model.MaxTokens))
        {
            var text = Workload.TextOfLength(model, sweep.Length);
            var sizes = new JsonArray();
            // Ascending sizes: the arena only grows, so the memory after each size is the largest run's so far.
            foreach (var batch in sweep.Batches.OrderBy(b => b == 0 ? int.MaxValue : b))
            {
                var runner = batch == 0 ? defaultModel : model;
                var request = new ExplainRequestOptions { Text = text, Steps = sweep.Steps, InternalBatchSize = batch };
                var ms = await Workload.MedianMs(sweep.Repeats, () => runner.ExplainAsync(request));
                var requested = batch > 0 ? batch : runner.ExecutionProvider == "CUDAExecutionProvider" ? int.MaxValue : RuntimeSettings.StandardInternalBatchSize;
                var rowsPerRun = Math.Min(Math.Min(requested, runner.MaxRowsPerRun(runner.PaddedLength(sweep.Length))), sweep.Steps);
                var device = GpuMemory.Query();
                sizes.Add(new JsonObject
                {
                    ["internal_batch_size"] = batch == 0 ? "default" : batch,
                    ["run_memory_budget_mb"] = Math.Round(runner.RunMemoryBudgetBytes / 1048576.0, 1),
                    ["rows_per_run"] = rowsPerRun,
                    ["runs"] = (sweep.Steps + rowsPerRun - 1) / rowsPerRun,
                    ["explain_ms"] = ms,
                    ["us_per_row"] = Math.Round(ms * 1000 / sweep.Steps, 1),
                    ["host_copy_mb_per_run"] = Math.Round(HostCopyBytes(runner, rowsPerRun, runner.PaddedLength(sweep.Length)) / 1e6, 3),
                    ["estimated_run_mb"] = Math.Round(rowsPerRun * (double)model.ActivationBytesPerRow(model.PaddedLength(sweep.Length)) / 1e6, 1),
                    ["gpu_used_mb_after"] = Used(device),
                });
            }

            results.Add(new JsonObject
            {
                ["tokens"] = sweep.Length,
                ["steps"] = sweep.Steps,
                ["sizes"] = sizes,
            });
        }

        return new JsonObject
        {
            ["note"] = "rows_per_run = min(internal_batch_size, the run budget's rows, steps); explicit sizes run with run_memory_budget_mb wide enough for them, "
                + "'default' with the engine's default budget; estimated_run_mb is the engine's estimate of one run's peak (rows x estimated bytes per row); "
                + "gpu_used_mb counts ONNX Runtime's arenas (kept between runs) of every loaded model and any other process on the device; "
                + "host_copy_mb_per_run bounds what one run copies between host and device (the most IOBinding could save per run)",
            ["gpu_used_mb_before"] = Used(before),
            ["lengths"] = results,
        };
    }

    /// <summary>
    /// At most the bytes one path run of one text copies between host and device (what IOBinding could keep on the
    /// device): in, the text's baseline and difference <c>[1, S, H]</c> floats, one alpha and one seed row per row, and up
    /// to three int64 <c>[rows, S]</c> inputs (attention mask, token types, input ids for its shape); out, the gradient
    /// sum <c>[1, S, H]</c> and the logits.
    /// </summary>
    private static long HostCopyBytes(ExplainerModel model, int rows, int seqLen)
    {
        long cut = (long)seqLen * model.HiddenSize * sizeof(float);
        long perRow = sizeof(float) + (model.Labels.Count * 2L * sizeof(float)) + (3L * seqLen * sizeof(long));
        return (3 * cut) + (rows * perRow);
    }

    private static double? Used(GpuMemoryInfo? info) => info is { } d ? Math.Round((d.TotalBytes - d.FreeBytes) / 1048576.0, 0) : null;

    private static JsonNode Device(GpuMemoryInfo? info) => info is { } d
        ? new JsonObject { ["total_mb"] = d.TotalBytes / 1048576, ["free_mb"] = d.FreeBytes / 1048576 }
        : JsonValue.Create("unavailable (no CUDA runtime library answered cudaMemGetInfo)");
}
