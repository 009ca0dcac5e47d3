using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Server.Hosting;
using BertIgGrpc.Server.Infrastructure;
using Grpc.AspNetCore.Server;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// One real server (Kestrel on two loopback ports the system picks, the default model, a temporary cache
/// directory) shared by every functional test. Admission is one running explanation and one queued,
/// so a burst of calls reliably overflows while the sequential tests never do.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    /// <summary>The model the server loads by default.</summary>
    public const string DefaultModel = "minilm-sentiment";

    /// <summary>Explanations allowed to run at once.</summary>
    public const int MaxConcurrent = 1;

    /// <summary>Explanations allowed to wait (in each lane), and Predict calls allowed to wait.</summary>
    public const int MaxQueue = 1;

    /// <summary>Tokens of Predict calls computed at once (a call with more runs alone).</summary>
    public const int MaxPredictTokensInFlight = 64;

    private readonly string _cacheDirectory = Path.Combine(Path.GetTempPath(), "bertig-server-tests-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    public GrpcChannel Channel { get; private set; } = null!;

    public Explainer.ExplainerClient Client { get; private set; } = null!;

    public Health.HealthClient Health { get; private set; } = null!;

    public Uri GrpcAddress { get; private set; } = null!;

    public Uri HttpAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Every log entry the server wrote at Information or above.</summary>
    internal ListLoggerProvider Logs { get; } = new();

    public IServiceProvider Services => _app!.Services;

    public ExplanationGate Gate => Services.GetRequiredService<ExplanationGate>();

    public PredictAdmission PredictAdmission => Services.GetRequiredService<PredictAdmission>();

    public ServerMetrics Metrics => Services.GetRequiredService<ServerMetrics>();

    /// <summary>The default model's runtime, wrapped to count gradient runs and hold one on request.</summary>
    internal HeldRuntime Runtime { get; private set; } = null!;

    /// <summary>Counts the calls the server saw cancelled while they ran.</summary>
    internal CallObserver Calls { get; } = new();

    /// <summary>Every span the server's own tracer provider exported (its sources and ASP.NET Core's), in end order.</summary>
    internal SpanRecorder Spans { get; } = new();

    public async Task InitializeAsync()
    {
        // Tests hold gradient runs (HeldRuntime), which blocks the thread-pool threads running them by design; give the
        // pool room so that the server keeps answering other calls (rejections, health) meanwhile.
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), completionPorts);
        _app = ServerHost.Create(
        [
            $"--BertIg:CacheDirectory={_cacheDirectory}",
            $"--BertIg:Server:MaxConcurrentExplanations={MaxConcurrent}",
            $"--BertIg:Server:MaxQueueLength={MaxQueue}",
            $"--BertIg:Limits:MaxPredictTokensInFlight={MaxPredictTokensInFlight}",
            "--BertIg:Server:ShutdownTimeoutSeconds=5",
        ], Logs, services: services => services
            .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans))
            .AddSingleton(Calls)
            .Configure<GrpcServiceOptions>(options => options.Interceptors.Add<CallObserver>()));
        _app.Services.GetRequiredService<ModelRegistry>().RuntimeDecorator = runtime => Runtime = new HeldRuntime(runtime);
        await _app.StartAsync();
        (GrpcAddress, HttpAddress) = ServerHost.Addresses(_app);

        Channel = GrpcChannel.ForAddress(GrpcAddress);
        Client = new Explainer.ExplainerClient(Channel);
        Health = new Health.HealthClient(Channel);
        Http = new HttpClient { BaseAddress = HttpAddress };
        await WaitUntilServingAsync(TimeSpan.FromMinutes(10));
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_cacheDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Waits until no explanation or Predict call is running or queued (cancelled ones stop at their next batch).</summary>
    public async Task WaitForIdleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Gate.Running > 0 || Gate.Queued > 0 || PredictAdmission.Running > 0 || PredictAdmission.Queued > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Still {Gate.Running} explanations running and {Gate.Queued} queued, {PredictAdmission.Running} Predict calls running and {PredictAdmission.Queued} queued after {timeout}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Asserts the whole server and the Explainer service report SERVING.</summary>
    public async Task AssertServingAsync()
    {
        foreach (var service in new[] { "", ServerExtensions.ExplainerServiceName })
        {
            var response = await Health.CheckAsync(new HealthCheckRequest { Service = service });
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
        }
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        var state = Services.GetRequiredService<ModelLoadState>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (state.HasFailed)
            {
                throw new InvalidOperationException("The test server could not load its models: " + state.FailureMessage);
            }

            var response = await Health.CheckAsync(new HealthCheckRequest());
            if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The test server did not report SERVING within {timeout}.");
            }

            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
