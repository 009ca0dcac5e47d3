using System.Diagnostics;
using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Server.Hosting;
using BertIgGrpc.Server.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BertIgGrpc.Server.Tests;

/// <summary>Start-up and shutdown of whole server processes (each test runs its own server).</summary>
public sealed class LifecycleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Run_ModelCannotBeLoaded_StopsWithOneLogLineNamingModelAndNonZeroExitCode()
    {
        var logs = new ListLoggerProvider();
        var missing = Path.Combine(Path.GetTempPath(), "bertig-missing-" + Guid.NewGuid().ToString("N"));
        await using var app = ServerHost.Create(
        [
            $"--BertIg:CacheDirectory={missing}",
            "--BertIg:EnableDefaultModel=false",
            "--BertIg:Models:0:Name=broken-model",
            $"--BertIg:Models:0:Path={Path.Combine(missing, "model.onnx")}",
            $"--BertIg:Models:0:Vocab={Path.Combine(missing, "vocab.txt")}",
            "--BertIg:Models:0:Labels:0=no",
            "--BertIg:Models:0:Labels:1=yes",
        ], logs);

        var exitCode = await app.RunBertIgServerAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.NotEqual(0, exitCode);
        var critical = Assert.Single(logs.Entries, e => e.Level == LogLevel.Critical);
        Assert.Contains("broken-model", critical.Message);
        Assert.Null(critical.Exception); // the line explains itself; no stack trace in its place
    }

    [Fact]
    public async Task Server_LoadingThenServingThenStopped_ReportsEachPhaseAndEndsInFlightStreamWithUnavailable()
    {
        // One model load for both checks: this server's content root has a dashboard (wwwroot), the shared one has none.
        var root = Path.Combine(Path.GetTempPath(), "bertig-server-tests-" + Guid.NewGuid().ToString("N"));
        var cache = Path.Combine(root, "cache");
        Directory.CreateDirectory(Path.Combine(root, "wwwroot"));
        await File.WriteAllTextAsync(Path.Combine(root, "wwwroot", "index.html"), "<!doctype html><title>bertig dashboard</title>");
        var logs = new ListLoggerProvider();
        await using var app = ServerHost.Create(
        [
            $"--BertIg:CacheDirectory={cache}",
            "--BertIg:Server:ShutdownTimeoutSeconds=6", // signalled at 3 s; 3 s left for the batch in progress to end
        ], logs, contentRoot: root);
        HeldRuntime? runtime = null;
        app.Services.GetRequiredService<ModelRegistry>().RuntimeDecorator = inner => runtime = new HeldRuntime(inner);
        try
        {
            await app.StartAsync();
            var (grpcAddress, httpAddress) = ServerHost.Addresses(app);
            using var channel = GrpcChannel.ForAddress(grpcAddress);
            var health = new Health.HealthClient(channel);

            // Kestrel listens before the models are loaded: health says so, and calls are refused meanwhile. On a quiet machine
            // the model can load (about a second) before the first call gets through, or between the health check and the
            // call after it; ModelLoadState is then already serving and that phase cannot be observed here (HealthStateTests
            // covers it without timing).
            var loadState = app.Services.GetRequiredService<ModelLoadState>();
            var loading = !loadState.IsServing;
            var first = (await health.CheckAsync(new HealthCheckRequest())).Status;
            if (loading && first == HealthCheckResponse.Types.ServingStatus.NotServing)
            {
                var listModels = new Explainer.ExplainerClient(channel).ListModelsAsync(new ListModelsRequest()).ResponseAsync;
                await Task.WhenAny(listModels);
                if (listModels.IsCompletedSuccessfully)
                {
                    // Answered, so the models must have finished loading after the health check.
                    Assert.True(loadState.IsServing, "ListModels was answered while the models were still loading");
                    output.WriteLine("the models finished loading between the health check and ListModels (loading phase not observed)");
                }
                else
                {
                    var early = await RpcAssert.ThrowsAsync(StatusCode.Unavailable, () => listModels);
                    Assert.Contains("loading", early.Status.Detail);
                }
            }
            else
            {
                output.WriteLine($"first health check answered {first} (loading phase not observed)");
            }

            var deadline = DateTime.UtcNow.AddMinutes(10);
            while ((await health.CheckAsync(new HealthCheckRequest())).Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                Assert.True(DateTime.UtcNow < deadline, "server did not become SERVING");
                await Task.Delay(100);
            }

            // The start-up line names the layer in words; the export's tensor name ('146') is for debug output only.
            var ready = Assert.Single(logs.Entries, e => e.EventId.Id == 101);
            Assert.Contains("attributions at the embeddings LayerNorm output", ready.Message);
            Assert.DoesNotContain("'146'", ready.Message);

            using (var http = new HttpClient { BaseAddress = httpAddress })
            {
                Assert.Contains("bertig dashboard", await http.GetStringAsync("/"));
                Assert.Contains("bertig dashboard", await http.GetStringAsync("/index.html"));
                Assert.Contains("bertig_grpc_requests_total", await http.GetStringAsync("/metrics"));
            }

            // Every kind of call in flight: two streams computing (large-lane slots: 2048 steps; their gradient runs held until the
            // shutdown signal has fired, so they are in flight by construction), a unary explanation queued (too large for the
            // small-request lane), and a Predict computing (admitted by tokens; its forward run held too).
            var client = new Explainer.ExplainerClient(channel);
            var gate = app.Services.GetRequiredService<ExplanationGate>();
            var predictAdmission = app.Services.GetRequiredService<PredictAdmission>();
            using var hold = runtime!.HoldRuns(predictions: true);
            var streams = Enumerable.Range(0, 2)
                .Select(_ => client.Explain(new ExplainRequest { Text = "Long enough to outlive shutdown.", NSteps = 2048, InternalBatchSize = 2 }))
                .ToList();
            await hold.WaitEnteredAsync(TimeSpan.FromSeconds(60));
            var runningBy = DateTime.UtcNow.AddSeconds(60);
            while (gate.Running < streams.Count)
            {
                Assert.True(DateTime.UtcNow < runningBy, $"expected {streams.Count} running explanations, got {gate.Running}");
                await Task.Delay(10);
            }

            var queued = new List<Task>
            {
                client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = "Queued behind the streams.", NSteps = 2048 }).ResponseAsync,
                client.PredictAsync(new PredictRequest { Texts = { Enumerable.Repeat(string.Join(' ', Enumerable.Repeat("queued", 600)), 10) }, Truncate = true }).ResponseAsync,
            };
            var queuedBy = DateTime.UtcNow.AddSeconds(30);
            while (gate.Queued < 1 || predictAdmission.Running < 1)
            {
                Assert.True(DateTime.UtcNow < queuedBy, $"expected 1 queued explanation and 1 Predict in flight, got {gate.Queued} and {predictAdmission.Running}");
                await Task.Delay(10);
            }

            var watch = Stopwatch.StartNew();
            var stopping = app.StopAsync();
            var state = app.Services.GetRequiredService<ModelLoadState>();
            Assert.False(state.IsServing); // flipped by ApplicationStopping, before Kestrel stops taking calls
            var signal = app.Services.GetRequiredService<ShutdownSignal>().Token;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(TimeSpan.FromSeconds(30), signal));
            hold.Release();
            var ended = new List<RpcException>();
            foreach (var stream in streams)
            {
                ended.Add(await Assert.ThrowsAsync<RpcException>(async () =>
                {
                    while (await stream.ResponseStream.MoveNext())
                    {
                    }
                }));
                stream.Dispose();
            }

            foreach (var call in queued)
            {
                ended.Add(await Assert.ThrowsAsync<RpcException>(() => call));
            }

            await stopping;
            output.WriteLine($"calls ended with {string.Join(", ", ended.Select(e => e.StatusCode))}; stop took {watch.Elapsed.TotalMilliseconds:F0} ms");

            // Half the shutdown timeout in, the server stops every call itself and says why: no call sees a reset, and
            // since the run in flight is stopped too, shutdown ends well within its timeout.
            Assert.All(ended, e =>
            {
                Assert.Equal(StatusCode.Unavailable, e.StatusCode);
                Assert.Contains("shutting down", e.Status.Detail);
            });
            Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(6));
            Assert.InRange(hold.Runs, 1, 4); // the runs in flight when held (two per stream); none after the signal (1024 per stream needed)
            Assert.Equal(0, app.Services.GetRequiredService<ExplanationGate>().Running);
            Assert.Equal(0, predictAdmission.Running);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
