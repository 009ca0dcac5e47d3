using System.Diagnostics;
using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Server.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Benchmarks;

/// <summary>
/// <c>grpc-load [tokens] [rounds] [workload] [--Section:Key=value ...]</c>: the <c>load</c> benchmark through the running
/// service. Starts the real server in this process (Kestrel on 127.0.0.1, port 0; the default model from the benchmarks'
/// cache; every <c>--</c> argument goes to the server's configuration), then drives it with real gRPC clients, one
/// <see cref="GrpcChannel"/> (one HTTP/2 connection) per caller, in a closed loop: 1, 8 and 16 callers for 50-step and
/// 8-step <c>ExplainUnary</c> and one-text <c>Predict</c>. Each caller sends <c>rounds</c> (x3 for 8 steps, x25 for
/// Predict) requests, and stops early once a case has run <see cref="CaseSeconds"/>; every call has a deadline of
/// <see cref="CallDeadline"/>. Prints per case throughput of answered calls, latency percentiles (answered calls),
/// errors by status code, and the same plain-forward reference and efficiency as <c>load</c> (a plain forward of
/// <see cref="LoadBenchmark.ReferenceRows"/> rows timed in this process, on a session of its own, before each workload).
/// The server is stopped when the run ends.
/// </summary>
internal static class GrpcLoadBenchmark
{
    /// <summary>A case stops sending new requests after this many seconds (BERTIG_LOAD_CASE_SECONDS overrides).</summary>
    private static readonly double CaseSeconds = double.TryParse(Environment.GetEnvironmentVariable("BERTIG_LOAD_CASE_SECONDS"), out var s) ? s : 120;

    /// <summary>Deadline of each call.</summary>
    private static readonly TimeSpan CallDeadline = TimeSpan.FromMinutes(5);

    public static async Task RunAsync(string[] args)
    {
        var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var tokens = positional.Length > 0 ? int.Parse(positional[0]) : 16;
        var rounds = positional.Length > 1 ? int.Parse(positional[1]) : 2;
        var only = positional.Length > 2 ? positional[2] : "";
        var definition = BenchModel.Definition(); // materialises the default model into the cache the server reads
        var settings = BenchModel.Settings();
        string[] serverArgs =
        [
            "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Http:Protocols=Http1",
            "--Logging:LogLevel:Default=Warning",
            $"--BertIg:CacheDirectory={BenchModel.CacheDirectory}",
            $"--BertIg:ExecutionProvider={settings.ExecutionProvider}",
            $"--BertIg:PredictBatchWaitMs={settings.PredictBatchWaitMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            .. args.Where(a => a.StartsWith("--", StringComparison.Ordinal)),
        ];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = serverArgs, ContentRootPath = AppContext.BaseDirectory, EnvironmentName = Environments.Production });
        builder.AddBertIgServer();
        await using var app = builder.Build();
        app.MapBertIgServer();
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Urls.First()); // the Grpc endpoint: Kestrel binds configured endpoints in key order
            if (!address.IsLoopback)
            {
                throw new InvalidOperationException($"The server bound {address}, not loopback.");
            }

            await RunCasesAsync(app, address, definition, settings, tokens, rounds, only);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task RunCasesAsync(WebApplication app, Uri address, ModelDefinition definition, RuntimeSettings settings, int tokens, int rounds, string only)
    {
        using var probe = GrpcChannel.ForAddress(address);
        var model = await WaitServingAsync(new Explainer.ExplainerClient(probe), app.Services.GetRequiredService<ModelRegistry>());
        using var plain = OnnxAttributionRuntime.Create(OnnxModelFile.Load(definition.ModelPath), definition.CutTensor, definition.Output, settings, NullLogger.Instance);
        var gate = app.Services.GetRequiredService<BertIgGrpc.Server.Infrastructure.ExplanationGate>();
        var predictAdmission = app.Services.GetRequiredService<BertIgGrpc.Server.Infrastructure.PredictAdmission>();
        var text = BenchModel.Text(tokens);
        Console.WriteLine($"Machine: {BenchModel.Machine()}; provider {model.ExecutionProvider}; {tokens} tokens; through gRPC on {address} "
            + $"(server in this process, explanations {gate.MaxConcurrent} concurrent + {gate.MaxQueue} queued per lane, "
            + $"Predict {predictAdmission.MaxTokensInFlight} tokens in flight + {predictAdmission.MaxQueue} queued); Predict batching wait {settings.PredictBatchWaitMs} ms; "
            + $"a case stops after {CaseSeconds} s");
        Console.WriteLine("| workload | callers | answered | errors | throughput (req/s) | p50 latency (ms) | p95 latency (ms) | max (ms) | plain forward (rows/s) | efficiency | load average after |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");

        (string Name, int PerCaller, double RowsPerRequest, Func<Explainer.ExplainerClient, DateTime, Task> Call)[] workloads =
        [
            ("explain, 50 steps", rounds, LoadBenchmark.GradientCost * 50, (c, d) => c.ExplainUnaryAsync(new ExplainUnaryRequest { Text = text, NSteps = 50 }, deadline: d).ResponseAsync),
            ("explain, 8 steps", rounds * 3, LoadBenchmark.GradientCost * 8, (c, d) => c.ExplainUnaryAsync(new ExplainUnaryRequest { Text = text, NSteps = 8 }, deadline: d).ResponseAsync),
            ("predict, 1 text", rounds * 25, 1, (c, d) => c.PredictAsync(new PredictRequest { Texts = { text } }, deadline: d).ResponseAsync),
        ];
        foreach (var (name, perCaller, rowsPerRequest, call) in workloads.Where(w => w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            await call(new Explainer.ExplainerClient(probe), DateTime.UtcNow + CallDeadline); // warm-up
            var forwardRowsPerSecond = LoadBenchmark.PlainForwardRowsPerSecond(plain, model, text);
            foreach (var callers in new[] { 1, 8, 16 })
            {
                var result = await RunCaseAsync(address, callers, perCaller, call);
                var throughput = result.Latencies.Count / result.Seconds;
                var errors = result.Errors.Count == 0 ? "0" : string.Join(", ", result.Errors.OrderBy(e => e.Key).Select(e => $"{e.Key} {e.Value}"));
                Console.WriteLine($"| {name} | {callers} | {result.Latencies.Count} | {errors} | {throughput:F2} | {Percentile(result.Latencies, 0.5):F0} | "
                    + $"{Percentile(result.Latencies, 0.95):F0} | {Percentile(result.Latencies, 1):F0} | {forwardRowsPerSecond:F1} | "
                    + $"{throughput * rowsPerRequest / forwardRowsPerSecond:F2} | {BenchModel.Machine().Split("load average ")[1].Split(' ')[0]} |");
            }
        }
    }

    /// <summary>One case: <paramref name="callers"/> clients, each on its own channel, each sending its next call when the last returns.</summary>
    private static async Task<(List<double> Latencies, Dictionary<StatusCode, int> Errors, double Seconds)> RunCaseAsync(
        Uri address, int callers, int perCaller, Func<Explainer.ExplainerClient, DateTime, Task> call)
    {
        var channels = Enumerable.Range(0, callers).Select(_ => GrpcChannel.ForAddress(address)).ToArray();
        try
        {
            await Task.WhenAll(channels.Select(c => c.ConnectAsync())); // connections are not part of the figures
            var latencies = new List<double>();
            var errors = new Dictionary<StatusCode, int>();
            var total = Stopwatch.StartNew();
            await Task.WhenAll(channels.Select(channel => Task.Run(async () =>
            {
                var client = new Explainer.ExplainerClient(channel);
                for (var i = 0; i < perCaller && total.Elapsed.TotalSeconds < CaseSeconds; i++)
                {
                    var sw = Stopwatch.StartNew();
                    try
                    {
                        await call(client, DateTime.UtcNow + CallDeadline);
                        lock (latencies) latencies.Add(sw.Elapsed.TotalMilliseconds);
                    }
                    catch (RpcException e)
                    {
                        lock (latencies) errors[e.StatusCode] = errors.GetValueOrDefault(e.StatusCode) + 1;
                    }
                }
            })));
            latencies.Sort();
            return (latencies, errors, total.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>Calls ListModels until the server serves (models load in the background), at most 5 minutes.</summary>
    private static async Task<ExplainerModel> WaitServingAsync(Explainer.ExplainerClient client, ModelRegistry registry)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            try
            {
                await client.ListModelsAsync(new ListModelsRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
                return registry.Default;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    private static double Percentile(List<double> sorted, double q)
        => sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
