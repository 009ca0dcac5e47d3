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

            // Kestrel listens before the models are loaded (seconds): health says so, and calls are refused meanwhile.
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
            var early = await RpcAssert.ThrowsAsync(StatusCode.Unavailable,
                () => new Explainer.ExplainerClient(channel).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
            Assert.Contains("loading", early.Status.Detail);

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

            // Its gradient runs are held until the shutdown signal has fired: the call is in flight by construction.
            using var hold = runtime!.HoldRuns();
            using var call = new Explainer.ExplainerClient(channel).Explain(new ExplainRequest { Text = "In flight when shutdown begins.", NSteps = 64, InternalBatchSize = 2 });
            await hold.WaitEnteredAsync(TimeSpan.FromSeconds(60));
            var watch = Stopwatch.StartNew();

            var stopping = app.StopAsync();
            var state = app.Services.GetRequiredService<ModelLoadState>();
            Assert.False(state.IsServing); // flipped by ApplicationStopping, before Kestrel stops taking calls
            var signal = app.Services.GetRequiredService<ShutdownSignal>().Token;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(TimeSpan.FromSeconds(30), signal));
            hold.Release();
            var ended = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await call.ResponseStream.MoveNext())
                {
                }
            });
            await stopping;
            Assert.InRange(hold.Runs, 1, 2); // the runs in flight when held; none after the signal (32 needed)
            output.WriteLine($"stream ended after {watch.Elapsed.TotalMilliseconds:F0} ms with {ended.StatusCode}: {ended.Status.Detail}; stop took until {watch.Elapsed.TotalMilliseconds:F0} ms");

            // Half the shutdown timeout in, the server stops the explanation itself and says why.
            Assert.Equal(StatusCode.Unavailable, ended.StatusCode);
            Assert.Contains("shutting down", ended.Status.Detail);
            Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
            Assert.Equal(0, app.Services.GetRequiredService<ExplanationGate>().Running);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
