using System.Diagnostics;
using BertIgGrpc.Engine;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Server.Infrastructure;

namespace BertIgGrpc.Server.Hosting;

/// <summary>
/// Loads every configured model in the background once the host has started, so that Kestrel is
/// already answering health checks (NOT_SERVING) while models load. A model that cannot be loaded
/// stops the application with one log line naming the model and the problem.
/// </summary>
internal sealed class ModelLoaderService(
    ModelRegistry registry,
    ModelLoadState state,
    ExplanationGate gate,
    PredictAdmission predictAdmission,
    IHostApplicationLifetime lifetime,
    ILogger<ModelLoaderService> logger) : BackgroundService
{
    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            // Health turns NOT_SERVING before Kestrel stops taking calls, so load balancers drain first.
            state.MarkStopping();
            ServerLog.ShuttingDown(logger, gate.Running, gate.Queued);
        });
        ServerLog.AdmissionConfigured(logger, gate.MaxConcurrent, gate.MaxQueue);
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Load only once Kestrel is listening: health answers NOT_SERVING meanwhile, and a failed
        // load then stops a fully started host instead of cancelling Kestrel's bind half-way.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var watch = Stopwatch.StartNew();
        ServerLog.LoadingModels(logger);
        try
        {
            await registry.LoadAsync(stoppingToken).ConfigureAwait(false);
            foreach (var model in registry.Models)
            {
                ServerLog.ModelReady(logger, model.Name, string.Join(", ", model.Labels), model.MaxTokens, model.CutDescription, model.ExecutionProvider, model.Sha256);
                ServerLog.ModelCutTensor(logger, model.Name, model.CutTensor, model.CutDescription);
            }

            ServerLog.PredictAdmissionConfigured(logger, predictAdmission.MaxTokensInFlight, predictAdmission.MaxQueue);
            state.MarkReady();
            ServerLog.ModelsLoaded(logger, registry.Models.Count, watch.Elapsed.TotalMilliseconds, registry.Default.Name);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shut down while loading: nothing to report.
        }
        catch (ModelLoadException ex)
        {
            ServerLog.ModelLoadFailed(logger, ex.Message); // the engine's message names the model and the problem
            state.MarkFailed(ex.Message);
            lifetime.StopApplication();
        }
        catch (Exception ex)
        {
            // Anything else is a bug or an environment problem; say what it was on one line, keep the trace in the log entry.
            ServerLog.StartupFailed(logger, ex, ex.GetType().Name, ex.Message);
            state.MarkFailed($"{ex.GetType().Name}: {ex.Message}");
            lifetime.StopApplication();
        }
    }
}
