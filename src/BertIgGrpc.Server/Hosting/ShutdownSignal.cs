using Microsoft.Extensions.Options;

namespace BertIgGrpc.Server.Hosting;

/// <summary>
/// Fires half-way through the shutdown timeout once shutdown has begun. Explanations still running
/// then are cancelled by the server itself, so their callers get a proper UNAVAILABLE status while the
/// connection is still open, instead of a reset when Kestrel aborts it at the end of the timeout.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly CancellationTokenRegistration _registration;

    /// <summary>Subscribes to the application's stopping event.</summary>
    public ShutdownSignal(IHostApplicationLifetime lifetime, IOptions<BertIgServerOptions> options)
    {
        var grace = TimeSpan.FromSeconds(Math.Max(0, options.Value.ShutdownTimeoutSeconds) / 2);
        _registration = lifetime.ApplicationStopping.Register(() =>
        {
            try
            {
                _source.CancelAfter(grace);
            }
            catch (ObjectDisposedException)
            {
                // Disposed with the container while stopping: nothing is left to cancel.
            }
        });
    }

    /// <summary>Gets the token that is cancelled when in-flight explanations must give up.</summary>
    public CancellationToken Token => _source.Token;

    /// <inheritdoc />
    public void Dispose()
    {
        _registration.Dispose();
        _source.Dispose();
    }
}
