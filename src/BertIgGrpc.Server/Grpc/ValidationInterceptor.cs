using BertIgGrpc.Contracts.Validation;
using BertIgGrpc.Server.Infrastructure;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace BertIgGrpc.Server.Grpc;

/// <summary>
/// Checks every request against the rules declared in protos/ (the generated <see cref="IValidatableMessage.Validate"/>)
/// before any handler runs, and answers INVALID_ARGUMENT with <c>google.rpc.BadRequest</c> field violations.
/// </summary>
internal sealed class ValidationInterceptor(ILogger<ValidationInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Validate(request, context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Validate(request, context);
        return continuation(request, responseStream, context);
    }

    private void Validate(object request, ServerCallContext context)
    {
        if (request is not IValidatableMessage message)
        {
            return;
        }

        var violations = message.Validate();
        if (violations.Count > 0)
        {
            ServerLog.ValidationFailed(logger, context.Method, string.Join(", ", violations.Select(v => v.Field)));
            throw RpcErrors.InvalidArgument(violations);
        }
    }
}
