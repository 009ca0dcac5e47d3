using Grpc.Core;
using System.Runtime.CompilerServices;
using Grpc.Core.Interceptors;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// An innermost interceptor that counts the calls whose server-side cancellation token fired while their handler was
/// running (client cancel, deadline). Tests wait on it instead of guessing when the server has noticed.
/// </summary>
internal sealed class CallObserver : Interceptor
{
    private int _cancelledCalls;

    /// <summary>Gets the number of calls cancelled while running.</summary>
    public int CancelledCalls => Volatile.Read(ref _cancelledCalls);

    /// <summary>Waits until <see cref="CancelledCalls"/> reaches <paramref name="count"/>; fails the test after <paramref name="timeout"/>.</summary>
    public async Task WaitForCancelledCallsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (CancelledCalls < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server saw {CancelledCalls} cancelled calls, not {count}, within {timeout}");
            await Task.Delay(10);
        }
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var running = new StrongBox<bool>(true);
        using var registration = Watch(context, running);
        try
        {
            return await continuation(request, context);
        }
        finally
        {
            running.Value = false;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var running = new StrongBox<bool>(true);
        using var registration = Watch(context, running);
        try
        {
            await continuation(request, responseStream, context);
        }
        finally
        {
            running.Value = false;
        }
    }

    private CancellationTokenRegistration Watch(ServerCallContext context, StrongBox<bool> running)
        => context.CancellationToken.Register(() =>
        {
            if (Volatile.Read(ref running.Value))
            {
                Interlocked.Increment(ref _cancelledCalls);
            }
        });
}
