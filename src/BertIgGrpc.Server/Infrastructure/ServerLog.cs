namespace BertIgGrpc.Server.Infrastructure;

/// <summary>Every log line the server writes, with stable event ids (1xx start-up, 2xx requests, 3xx shutdown).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Loading models")]
    public static partial void LoadingModels(ILogger logger);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Model '{Model}' ready: labels [{Labels}], max {MaxTokens} tokens, attributions at {CutLayer}, {ExecutionProvider}, sha256 {Sha256}")]
    public static partial void ModelReady(ILogger logger, string model, string labels, int maxTokens, string cutLayer, string executionProvider, string sha256);

    // The graph's own tensor name (often a bare number such as '146') only helps someone reading the ONNX file.
    [LoggerMessage(EventId = 107, Level = LogLevel.Debug, Message = "Model '{Model}': attributions are taken at ONNX tensor '{CutTensor}' ({CutLayer})")]
    public static partial void ModelCutTensor(ILogger logger, string model, string cutTensor, string cutLayer);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "All {Count} model(s) loaded in {ElapsedMs:F0} ms; default model '{DefaultModel}'; serving")]
    public static partial void ModelsLoaded(ILogger logger, int count, double elapsedMs, string defaultModel);

    // Deliberately logged without the exception object: the engine's message already names the
    // model and the problem, and a stack trace would bury it.
    [LoggerMessage(EventId = 103, Level = LogLevel.Critical, Message = "Start-up failed, models could not be loaded: {Problem}")]
    public static partial void ModelLoadFailed(ILogger logger, string problem);

    [LoggerMessage(EventId = 104, Level = LogLevel.Critical, Message = "Start-up failed while loading models: {ExceptionType}: {Problem}")]
    public static partial void StartupFailed(ILogger logger, Exception exception, string exceptionType, string problem);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Admission: {MaxConcurrent} concurrent explanation(s), queue of {MaxQueue}")]
    public static partial void AdmissionConfigured(ILogger logger, int maxConcurrent, int maxQueue);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Admission: Predict calls of up to {MaxTokens} tokens in flight together (BertIg:Limits:MaxPredictTokensInFlight), queue of {MaxQueue}")]
    public static partial void PredictAdmissionConfigured(ILogger logger, long maxTokens, int maxQueue);

    [LoggerMessage(EventId = 106, Level = LogLevel.Critical, Message = "Start-up failed, an endpoint could not be bound: {Problem} (change it with --Kestrel:Endpoints:<Grpc|Http>:Url=...)")]
    public static partial void BindFailed(ILogger logger, string problem);

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "{Method} rejected: invalid argument ({Fields})")]
    public static partial void ValidationFailed(ILogger logger, string method, string fields);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "{Method} rejected: {Running} call(s) of its kind running and {Queued} queued, limit reached")]
    public static partial void AdmissionRejected(ILogger logger, string method, int running, int queued);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "{Method} cancelled ({Reason})")]
    public static partial void CallCancelled(ILogger logger, string method, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Error, Message = "{Method} failed with an internal error, correlation id {CorrelationId}")]
    public static partial void InternalError(ILogger logger, Exception exception, string method, string correlationId);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Explained with model '{Model}': {Steps} steps, {Tokens} tokens, target '{Target}', delta {Delta:G4}, {ElapsedMs:F0} ms on {ExecutionProvider}")]
    public static partial void Explained(ILogger logger, string model, int steps, int tokens, string target, double delta, double elapsedMs, string executionProvider);

    [LoggerMessage(EventId = 205, Level = LogLevel.Debug, Message = "{Method} answered {StatusCode}: {Detail}")]
    public static partial void RequestRejected(ILogger logger, string method, string statusCode, string detail);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "{Method} rejected: the request does not decode ({ExceptionType}: {Reason}), correlation id {CorrelationId}; {Suppressed} more like it not logged")]
    public static partial void MalformedRequest(ILogger logger, string method, string exceptionType, string reason, string correlationId, long suppressed);

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Shutting down: health is NOT_SERVING, {InFlight} explanation(s) in flight and {Queued} queued will finish or be cancelled")]
    public static partial void ShuttingDown(ILogger logger, int inFlight, int queued);
}
