using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.GpuCheck;
using Microsoft.ML.OnnxRuntime;

// BertIgGrpc.GpuCheck [--quick] [--cpu-only] [--cache DIR]
// Runs the default model on CUDA and on CPU, compares the attributions of the seed texts and times the engine.
// Prints one JSON report on stdout and writes it to $OUT/gpu-report.json when OUT is set. Exit code 0 when every
// section ran (CUDA unavailable is a finding, not a failure, unless --require-cuda is given).
var quick = args.Contains("--quick");
var cpuOnly = args.Contains("--cpu-only");
var requireCuda = args.Contains("--require-cuda");
var cacheIndex = Array.IndexOf(args, "--cache");
var cache = cacheIndex >= 0 && cacheIndex + 1 < args.Length
    ? args[cacheIndex + 1]
    : Path.Combine(Path.GetTempPath(), "bertig-gpu-check-cache");

var log = new CollectingLoggerFactory();
var report = new JsonObject
{
    ["tool"] = "BertIgGrpc.GpuCheck",
    ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
    ["mode"] = quick ? "quick" : "full",
    ["machine"] = Probe.Machine(),
};
var failures = new List<string>();
var total = Stopwatch.StartNew();

using var cpu = await Section("cpu_load", () => Workload.LoadAsync(cache, "cpu", log));
ModelRegistry? cuda = null;
if (!cpuOnly)
{
    cuda = await Section("cuda_load", () => Workload.LoadAsync(cache, "cuda", log), failureIsFinding: true);
}

report["onnxruntime"] = new JsonObject
{
    ["version"] = OrtEnv.Instance().GetVersionString(),
    ["available_providers"] = new JsonArray(OrtEnv.Instance().GetAvailableProviders().Select(p => (JsonNode)p).ToArray()),
    ["cpu_model_provider"] = cpu?.Default.ExecutionProvider,
    ["cuda_model_provider"] = cuda?.Default.ExecutionProvider,
    ["cuda_loaded"] = cuda?.Default.ExecutionProvider == "CUDAExecutionProvider",
    ["cuda_unavailable_reason"] = cuda is null ? (cpuOnly ? "not requested (--cpu-only)" : FirstError("cuda_load")) : null,
};
report["engine_log"] = new JsonArray(log.Messages.Select(m => (JsonNode)m).ToArray());

if (cpu is not null)
{
    var fastest = cuda ?? cpu;
    if (cuda is not null)
    {
        report["cuda_vs_cpu"] = await Section("cuda_vs_cpu", () => Workload.CompareAsync(cuda.Default, cpu.Default));
    }

    var settings = quick ? Workload.QuickSettings : Workload.FullSettings;
    report["timings"] = await Section("timings", () => Workload.TimeAsync(fastest.Default, settings));
    // What sizes the runs (on CUDA the GPU budget) and which internal batch size is fastest. On CUDA the sizes run on
    // a model with a GPU budget wide enough for every size (BatchSweep.WideBudgetMB); "default" on the default model.
    // Without CUDA only the quick sizes run (the full ones take minutes on a CPU).
    report["run_budget"] = BatchSweep.Budget(fastest.Default);
    if (cuda is not null) report["run_budget_cpu"] = BatchSweep.Budget(cpu.Default);
    using var wide = cuda is null ? null : await Section("batch_sweep_load", () => Workload.LoadAsync(cache, "cuda", log, maxGpuRunMemoryMB: BatchSweep.WideBudgetMB));
    report["batch_sweep"] = await Section("batch_sweep", () => BatchSweep.RunAsync((wide ?? fastest).Default, fastest.Default, quick || wide is null ? BatchSweep.Quick : BatchSweep.Full));
    if (cuda is not null && !quick)
    {
        // TF32 (off by default): how much faster, and how far from float32.
        using var tf32 = await Section("cuda_tf32_load", () => Workload.LoadAsync(cache, "cuda", log, tf32: true));
        if (tf32 is not null)
        {
            report["cuda_tf32_vs_cpu"] = await Section("cuda_tf32_vs_cpu", () => Workload.CompareAsync(tf32.Default, cpu.Default));
            report["timings_cuda_tf32"] = await Section("timings_cuda_tf32", () => Workload.TimeAsync(tf32.Default, settings));
        }

        report["timings_cpu"] = await Section("timings_cpu", () => Workload.TimeAsync(cpu.Default, Workload.CpuSettings));
    }
}

cuda?.Dispose();
report["failures"] = new JsonArray(failures.Select(f => (JsonNode)f).ToArray());
report["elapsed_s"] = Math.Round(total.Elapsed.TotalSeconds, 1);
var cudaLoaded = report["onnxruntime"]!["cuda_loaded"]!.GetValue<bool>();
report["ok"] = failures.Count == 0 && (!requireCuda || cudaLoaded);

var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
Console.WriteLine(json);
var outDir = Environment.GetEnvironmentVariable("OUT");
if (!string.IsNullOrEmpty(outDir))
{
    Directory.CreateDirectory(outDir);
    await File.WriteAllTextAsync(Path.Combine(outDir, "gpu-report.json"), json);
}

return report["ok"]!.GetValue<bool>() ? 0 : 1;

// Runs one part of the check; an exception is recorded under "errors" instead of ending the run.
async Task<T?> Section<T>(string name, Func<Task<T>> body, bool failureIsFinding = false) where T : class
{
    var watch = Stopwatch.StartNew();
    try
    {
        var result = await body();
        Console.Error.WriteLine($"[gpu-check] {name}: done in {watch.Elapsed.TotalSeconds:F1} s");
        return result;
    }
    catch (Exception ex)
    {
        var message = $"{ex.GetType().Name}: {ex.Message}" + (ex.InnerException is { } inner ? $" <- {inner.GetType().Name}: {inner.Message}" : "");
        Console.Error.WriteLine($"[gpu-check] {name}: FAILED after {watch.Elapsed.TotalSeconds:F1} s: {message}");
        var errors = report["errors"] as JsonObject ?? new JsonObject();
        errors[name] = message;
        report["errors"] = errors;
        if (!failureIsFinding) failures.Add(name);
        return null;
    }
}

string? FirstError(string name) => report["errors"]?[name]?.GetValue<string>();
