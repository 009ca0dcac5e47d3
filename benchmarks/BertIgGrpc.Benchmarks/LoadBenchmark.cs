using System.Diagnostics;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Benchmarks;

/// <summary>
/// <c>load [tokens] [rounds]</c>: closed-loop load on the engine (no gRPC): 1, 8 and 16 callers, each sending its next
/// request when the last one returns, for 50-step and 8-step explanations (one internal batch as the engine plans it)
/// and one-text predictions of a text of <c>tokens</c> tokens. Prints throughput and latency percentiles per case, and
/// a plain batched forward of 50 rows timed in between as the yardstick for a loaded machine.
/// </summary>
internal static class LoadBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var tokens = args.Length > 0 ? int.Parse(args[0]) : 16;
        var rounds = args.Length > 1 ? int.Parse(args[1]) : 2;
        var definition = BenchModel.Definition();
        using var model = ExplainerModel.Load(definition, BenchModel.Settings(), NullLogger.Instance);
        var text = BenchModel.Text(tokens);
        Console.WriteLine($"Machine: {BenchModel.Machine()}; provider {model.ExecutionProvider}; {tokens} tokens; engine directly (no gRPC)");
        Console.WriteLine("| workload | callers | requests | throughput (req/s) | p50 latency (ms) | p95 latency (ms) | max (ms) | load average after |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");

        (string Name, int PerCaller, Func<Task> Call)[] workloads =
        [
            ("explain, 50 steps", rounds, () => model.ExplainAsync(new ExplainRequestOptions { Text = text, Steps = 50 })),
            ("explain, 8 steps", rounds * 3, () => model.ExplainAsync(new ExplainRequestOptions { Text = text, Steps = 8 })),
            ("predict, 1 text", rounds * 25, () => model.PredictAsync([text])),
        ];
        foreach (var (name, perCaller, call) in workloads)
        {
            await call(); // warm-up
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
                Console.WriteLine($"| {name} | {callers} | {latencies.Count} | {latencies.Count / seconds:F2} | {P(0.5):F0} | {P(0.95):F0} | {latencies[^1]:F0} | {BenchModel.Machine().Split("load average ")[1].Split(' ')[0]} |");
            }
        }
    }
}
