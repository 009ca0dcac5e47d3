using System.Diagnostics;
using BertIgGrpc.Server.Infrastructure;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace BertIgGrpc.Server.Grpc;

/// <summary>Counts every call by method and final status code and records its latency (outermost interceptor).</summary>
internal sealed class MetricsInterceptor(ServerMetrics metrics) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var code = StatusCode.Unknown;
        try
        {
            var response = await continuation(request, context).ConfigureAwait(false);
            code = StatusCode.OK;
            return response;
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        finally
        {
            Record(context.Method, code, started);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var code = StatusCode.Unknown;
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            code = StatusCode.OK;
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        finally
        {
            Record(context.Method, code, started);
        }
    }

    private void Record(string method, StatusCode code, long started)
    {
        metrics.Requests.WithLabels(method, code.ToString()).Inc();
        metrics.Latency.WithLabels(method).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
