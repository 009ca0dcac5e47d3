using System.Diagnostics;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Benchmarks;

/// <summary>
/// <c>load [tokens] [rounds] [workload]</c>: closed-loop load on the engine (no gRPC): 1, 8 and 16 callers, each sending its next
/// request when the last one returns, for 50-step and 8-step explanations (one internal batch as the engine plans it)
/// and one-text predictions of a text of <c>tokens</c> tokens. Prints throughput and latency percentiles per case.
/// Before each workload a plain batched forward of <see cref="ReferenceRows"/> rows (a session of its own, no engine)
/// is timed as the yardstick for the loaded machine (the fastest of 5 runs), and each case gets its efficiency against it: for explanations
/// req/s x <see cref="GradientCost"/> x steps / forward rows/s, for predictions texts/s / forward rows/s.
/// <c>workload</c> keeps only the workloads whose name contains it (e.g. <c>predict</c>). BERTIG_PREDICT_WAIT_MS sets the Predict batching wait (negative: off) for before/after runs.
/// </summary>
internal static class LoadBenchmark
{
    /// <summary>Rows of the reference forward run.</summary>
    internal const int ReferenceRows = 50;

    /// <summary>Forward passes one interpolation step is counted as (a gradient run costs about 2.1 to 2.3 forward passes).</summary>
    internal const double GradientCost = 2.2;

    public static async Task RunAsync(string[] args)
    {
        var tokens = args.Length > 0 ? int.Parse(args[0]) : 16;
        var rounds = args.Length > 1 ? int.Parse(args[1]) : 2;
        var only = args.Length > 2 ? args[2] : "";
        var definition = BenchModel.Definition();
        var settings = BenchModel.Settings();
        using var model = ExplainerModel.Load(definition, settings, NullLogger.Instance);
        using var plain = OnnxAttributionRuntime.Create(OnnxModelFile.Load(definition.ModelPath), definition.CutTensor, definition.Output, settings, NullLogger.Instance);
        var text = BenchModel.Text(tokens);
        Console.WriteLine($"Machine: {BenchModel.Machine()}; provider {model.ExecutionProvider}; {tokens} tokens; engine directly (no gRPC); "
            + $"Predict batching wait {settings.PredictBatchWaitMs} ms");
        Console.WriteLine("| workload | callers | requests | throughput (req/s) | p50 latency (ms) | p95 latency (ms) | max (ms) | plain forward (rows/s) | efficiency | load average after |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");

        (string Name, int PerCaller, double RowsPerRequest, Func<Task> Call)[] workloads =
        [
            ("explain, 50 steps", rounds, GradientCost * 50, () => model.ExplainAsync(new ExplainRequestOptions { Text = text, Steps = 50 })),
            ("explain, 8 steps", rounds * 3, GradientCost * 8, () => model.ExplainAsync(new ExplainRequestOptions { Text = text, Steps = 8 })),
            ("predict, 1 text", rounds * 25, 1, () => model.PredictAsync([text])),
        ];
        foreach (var (name, perCaller, rowsPerRequest, call) in workloads.Where(w => w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            await call(); // warm-up
            var forwardRowsPerSecond = PlainForwardRowsPerSecond(plain, model, text);
            foreach (var callers in new[] { 1, 8, 16 })
            {
                var latencies = new List<double>();
                var total = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
                {
                    for (var i = 0; i < perCaller; i++)
                    {
                        var sw = Stopwatch.StartNew();
                        await call();
                        lock (latencies) latencies.Add(sw.Elapsed.TotalMilliseconds);
                    }
                })));
                var seconds = total.Elapsed.TotalSeconds;
                latencies.Sort();
                double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
                var throughput = latencies.Count / seconds;
                Console.WriteLine($"| {name} | {callers} | {latencies.Count} | {throughput:F2} | {P(0.5):F0} | {P(0.95):F0} | {latencies[^1]:F0} | "
                    + $"{forwardRowsPerSecond:F1} | {throughput * rowsPerRequest / forwardRowsPerSecond:F2} | {BenchModel.Machine().Split("load average ")[1].Split(' ')[0]} |");
            }
        }
    }

    /// <summary>
    /// Rows per second of a plain forward of <see cref="ReferenceRows"/> copies of the text: the fastest of 5 runs after a
    /// warm-up (on a shared machine the fastest run is the one least disturbed by other jobs).
    /// </summary>
    internal static double PlainForwardRowsPerSecond(OnnxAttributionRuntime plain, ExplainerModel model, string text)
    {
        var encoded = model.Tokenizer.Encode(text, null, model.MaxTokens, truncate: false);
        var seqLen = encoded.Length;
        long[] ids = [.. Enumerable.Range(0, ReferenceRows).SelectMany(_ => encoded.Ids.Select(id => (long)id))];
        long[] mask = [.. Enumerable.Repeat(1L, ReferenceRows * seqLen)];
        var types = new long[ReferenceRows * seqLen];
        plain.Logits(ids, mask, types, ReferenceRows, seqLen);
        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            plain.Logits(ids, mask, types, ReferenceRows, seqLen);
            times.Add(sw.Elapsed.TotalSeconds);
        }

        return ReferenceRows / times.Min();
    }
}
