using BertIgGrpc.Engine;
using BertIgGrpc.Server.Infrastructure;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace BertIgGrpc.Server.Grpc;

/// <summary>
/// Turns whatever a handler throws into the status the contract promises: engine errors the caller
/// can act on become NOT_FOUND / INVALID_ARGUMENT, cancellation becomes CANCELLED / DEADLINE_EXCEEDED,
/// and everything else becomes INTERNAL with a correlation id (the exception stays in the log).
/// </summary>
internal sealed class ExceptionInterceptor(ILogger<ExceptionInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    private RpcException Map(Exception exception, ServerCallContext context)
    {
        switch (exception)
        {
            case ModelNotFoundException notFound:
                ServerLog.RequestRejected(logger, context.Method, nameof(StatusCode.NotFound), LogText.Escape(notFound.Message));
                return RpcErrors.ModelNotFound(notFound);
            case InvalidExplainRequestException invalid:
                ServerLog.RequestRejected(logger, context.Method, nameof(StatusCode.InvalidArgument), LogText.Escape(invalid.Message));
                return RpcErrors.InvalidArgument(invalid.Field, invalid.Message);
            case RequestLimitExceededException limit:
                ServerLog.RequestRejected(logger, context.Method, nameof(StatusCode.ResourceExhausted), LogText.Escape(limit.Message));
                return RpcErrors.LimitExceeded(limit);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                var cancelled = RpcErrors.Cancelled(context);
                ServerLog.CallCancelled(logger, context.Method, cancelled.StatusCode.ToString());
                return cancelled;
            default:
                // No message or stack trace of ours goes to the client: only an id to quote.
                var correlationId = Guid.NewGuid().ToString("N");
                ServerLog.InternalError(logger, exception, context.Method, correlationId);
                return RpcErrors.Internal(correlationId);
        }
    }
}
