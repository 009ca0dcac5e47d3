using System.Threading.Channels;
using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Server.Hosting;
using BertIgGrpc.Server.Infrastructure;
using Grpc.Core;
using EngineAttribution = BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Server.Grpc;

/// <summary>
/// The <c>bertig.v1.Explainer</c> service: maps requests to the engine, runs explanations through the
/// admission gate, and streams progress. Requests arrive already validated (<see cref="ValidationInterceptor"/>);
/// engine exceptions are mapped to statuses by <see cref="ExceptionInterceptor"/>. Its methods are bound by
/// <see cref="ExplainerMethodProvider"/> (which decodes requests itself), not by grpc-dotnet's default binder.
/// </summary>
[BindServiceMethod(typeof(ExplainerService), nameof(BindNoMethods))]
public sealed partial class ExplainerService(
    ModelRegistry registry,
    ModelLoadState loadState,
    ExplanationGate gate,
    PredictAdmission predictAdmission,
    ServerMetrics metrics,
    ShutdownSignal shutdown,
    ILogger<ExplainerService> logger) : Explainer.ExplainerBase
{
    /// <summary>
    /// Binds nothing: grpc-dotnet's default binder calls the method the <see cref="BindServiceMethodAttribute"/> names, and
    /// <see cref="ExplainerMethodProvider"/> binds the methods instead, with request decoding that answers INVALID_ARGUMENT.
    /// </summary>
    public static void BindNoMethods(ServiceBinderBase binder, ExplainerService service)
    {
    }

    /// <inheritdoc />
    public override async Task Explain(ExplainRequest request, IServerStreamWriter<ExplainResponse> responseStream, ServerCallContext context)
    {
        var model = GetModel(request.Model);
        var plan = model.Plan(ToEngine(request)); // invalid or over a limit: refused before admission
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, shutdown.Token);
        try
        {
            using var lease = await EnterGateAsync(plan.TokenSteps, context, stop.Token);

            // The engine reports after every internal batch on the thread that finished it; a channel keeps the events
            // in order and lets this handler write them while the computation goes on.
            var progress = Channel.CreateUnbounded<EngineAttribution.ExplainProgress>(new UnboundedChannelOptions { SingleReader = true });
            var work = RunExplanationAsync(model, plan, progress.Writer, stop.Token);
            try
            {
                await foreach (var step in progress.Reader.ReadAllAsync(context.CancellationToken))
                {
                    await responseStream.WriteAsync(new ExplainResponse { Progress = ToProto(step) }, context.CancellationToken);
                }

                var explanation = await work;
                await responseStream.WriteAsync(new ExplainResponse { Result = ToProto(explanation) }, context.CancellationToken);
            }
            finally
            {
                // Never leave the engine running (or holding its slot) after the call has ended.
                if (!work.IsCompleted)
                {
                    await stop.CancelAsync();
                    await ((Task)work).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        catch (OperationCanceledException) when (IsShutdown(context))
        {
            throw ShuttingDown();
        }
    }

    /// <inheritdoc />
    public override async Task<ExplainUnaryResponse> ExplainUnary(ExplainUnaryRequest request, ServerCallContext context)
    {
        var model = GetModel(request.Model);
        var plan = model.Plan(ToEngine(request)); // invalid or over a limit: refused before admission
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, shutdown.Token);
        try
        {
            using var lease = await EnterGateAsync(plan.TokenSteps, context, stop.Token);
            var explanation = await RunExplanationAsync(model, plan, progress: null, stop.Token);
            return new ExplainUnaryResponse { Result = ToProto(explanation) };
        }
        catch (OperationCanceledException) when (IsShutdown(context))
        {
            throw ShuttingDown();
        }
    }

    /// <inheritdoc />
    public override async Task<PredictResponse> Predict(PredictRequest request, ServerCallContext context)
    {
        var model = GetModel(request.Model);
        var plan = model.PlanPrediction(request.Texts, ToEngine(request.LongText, request.Truncate), request.WindowStride);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, shutdown.Token);
        try
        {
            // Admitted by tokens, not explanation slots: concurrent calls then meet in the engine and share forward runs.
            using var lease = await predictAdmission.TryEnterAsync(plan.Tokens, stop.Token) ?? ThrowPredictBusy(context);
            var predictions = await model.PredictAsync(plan, stop.Token);

            // Finished just as the caller gave up: report what the caller saw, not OK.
            context.CancellationToken.ThrowIfCancellationRequested();
            var response = new PredictResponse { Model = model.Name };
            response.Predictions.AddRange(predictions.Select(ToProto));
            return response;
        }
        catch (OperationCanceledException) when (IsShutdown(context))
        {
            throw ShuttingDown();
        }
    }

    /// <inheritdoc />
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        EnsureServing();
        var defaultModel = registry.Default;
        var response = new ListModelsResponse();
        response.Models.AddRange(registry.Models.Select(m => ToProto(m, isDefault: ReferenceEquals(m, defaultModel))));
        return Task.FromResult(response);
    }

    private ExplainerModel GetModel(string name)
    {
        EnsureServing();
        return registry.Get(name); // ModelNotFoundException -> NOT_FOUND (ExceptionInterceptor)
    }

    private void EnsureServing()
    {
        if (!loadState.IsServing)
        {
            ThrowUnavailable(loadState.Description);
        }
    }

    private async Task<IDisposable> EnterGateAsync(long cost, ServerCallContext context, CancellationToken cancellationToken)
        => await gate.TryEnterAsync(cost, cancellationToken) ?? ThrowBusy(context);

    private bool IsShutdown(ServerCallContext context)
        => shutdown.Token.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested;

    /// <summary>Runs the engine (its ONNX Runtime runs go to the thread pool and are awaited), records the metrics and
    /// completes <paramref name="progress"/> however it ends.</summary>
    private async Task<EngineAttribution.Explanation> RunExplanationAsync(
        ExplainerModel model, ExplanationPlan plan, ChannelWriter<EngineAttribution.ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            var events = progress is null ? null : new EngineAttribution.SynchronousProgress<EngineAttribution.ExplainProgress>(e => progress.TryWrite(e));
            var explanation = await model.ExplainAsync(plan, events, cancellationToken).ConfigureAwait(false);
            // A text in windows evaluates every window's steps.
            var steps = explanation.Windows.Count == 0 ? explanation.Steps : explanation.Windows.Sum(w => w.Steps);
            metrics.Steps.WithLabels(explanation.Model).Inc(steps);
            if (explanation.Elapsed > TimeSpan.Zero)
            {
                metrics.StepsPerSecond.WithLabels(explanation.Model).Observe(steps / explanation.Elapsed.TotalSeconds);
            }

            ServerLog.Explained(logger, explanation.Model, explanation.Steps, explanation.Tokens.Count, explanation.TargetLabel,
                explanation.ConvergenceDelta, explanation.Elapsed.TotalMilliseconds, explanation.ExecutionProvider);
            return explanation;
        }
        finally
        {
            progress?.TryComplete();
        }
    }

    private IDisposable ThrowBusy(ServerCallContext context)
    {
        ServerLog.AdmissionRejected(logger, context.Method, gate.Running, gate.Queued);
        throw RpcErrors.Busy(gate.MaxConcurrent, gate.MaxQueue);
    }

    private IDisposable ThrowPredictBusy(ServerCallContext context)
    {
        ServerLog.AdmissionRejected(logger, context.Method, predictAdmission.Running, predictAdmission.Queued);
        throw RpcErrors.PredictBusy(predictAdmission.MaxTokensInFlight, predictAdmission.TokensInFlight, predictAdmission.MaxQueue);
    }

    private static void ThrowUnavailable(string reason) => throw RpcErrors.Unavailable(reason);

    private static RpcException ShuttingDown() => RpcErrors.Unavailable("the server is shutting down and stopped this call; retry");
}
