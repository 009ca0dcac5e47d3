using System.Reflection;
using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Server.Infrastructure;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace BertIgGrpc.Server.Grpc;

/// <summary>
/// Binds the Explainer's methods (in place of grpc-dotnet's default binder, see <see cref="ExplainerService.BindNoMethods"/>)
/// with request marshallers that answer undecodable bytes, invalid UTF-8 and truncated messages with INVALID_ARGUMENT and a
/// correlation id, instead of the UNKNOWN and error-level stack trace grpc-dotnet gives an exception from the deserializer.
/// Decoding happens before any interceptor runs, so such calls are counted and logged here.
/// </summary>
internal sealed class ExplainerMethodProvider(ServerMetrics metrics, ILogger<ExplainerMethodProvider> logger) : IServiceMethodProvider<ExplainerService>
{
    private readonly LogRateLimiter _logLimiter = new(entries: 10, TimeSpan.FromMinutes(1));

    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<ExplainerService> context)
        => Explainer.BindService(new Binder(context, this), serviceImpl: null!); // null: only the method descriptions are wanted

    private RpcException Reject(string method, string messageType, Exception exception)
    {
        var correlationId = Guid.NewGuid().ToString("N");
        metrics.Requests.WithLabels(method, nameof(StatusCode.InvalidArgument)).Inc();
        if (_logLimiter.TryAcquire(out var suppressed))
        {
            // One line, no stack trace: the protobuf message says what was wrong, the bytes are the client's.
            ServerLog.MalformedRequest(logger, method, exception.GetType().Name, LogText.Escape(exception.Message), correlationId, suppressed);
        }

        return RpcErrors.Malformed(messageType, exception.Message, correlationId);
    }

    private sealed class Binder(ServiceMethodProviderContext<ExplainerService> context, ExplainerMethodProvider provider) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var handlerMethod = Find(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(Wrap(method), Metadata(handlerMethod),
                handlerMethod.CreateDelegate<UnaryServerMethod<ExplainerService, TRequest, TResponse>>());
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var handlerMethod = Find(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(Wrap(method), Metadata(handlerMethod),
                handlerMethod.CreateDelegate<ServerStreamingServerMethod<ExplainerService, TRequest, TResponse>>());
        }

        private Method<TRequest, TResponse> Wrap<TRequest, TResponse>(Method<TRequest, TResponse> method) where TRequest : class where TResponse : class
        {
            var decode = method.RequestMarshaller.ContextualDeserializer;
            var messageType = typeof(TRequest).Name;
            var requests = Marshallers.Create<TRequest>(method.RequestMarshaller.ContextualSerializer, deserialization =>
            {
                try
                {
                    return decode(deserialization);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    throw provider.Reject(method.FullName, messageType, ex);
                }
            });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, requests, method.ResponseMarshaller);
        }

        private static MethodInfo Find(string name, params Type[] parameters)
            => typeof(ExplainerService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException($"ExplainerService has no method {name}.");

        // As grpc-dotnet's own binder: the type's attributes, then the method's, then POST (with CORS preflight).
        private static List<object> Metadata(MethodInfo handlerMethod) =>
        [
            .. typeof(ExplainerService).GetCustomAttributes(inherit: true),
            .. handlerMethod.GetCustomAttributes(inherit: true),
            new HttpMethodMetadata(["POST"], acceptCorsPreflight: true),
        ];
    }
}
