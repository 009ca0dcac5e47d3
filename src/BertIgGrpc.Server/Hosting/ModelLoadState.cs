namespace BertIgGrpc.Server.Hosting;

/// <summary>Where model loading stands; read by the health check and by <c>Program</c> for the exit code.</summary>
public sealed class ModelLoadState
{
    private const int Loading = 0, Ready = 1, Failed = 2, Stopping = 3;
    private int _phase = Loading;

    /// <summary>Gets whether every model is loaded and the server is not shutting down.</summary>
    public bool IsServing => Volatile.Read(ref _phase) == Ready;

    /// <summary>Gets whether loading failed.</summary>
    public bool HasFailed => Volatile.Read(ref _phase) == Failed;

    /// <summary>Gets the one-line reason loading failed, or null.</summary>
    public string? FailureMessage { get; private set; }

    /// <summary>Gets the process exit code: 0, or 3 when models could not be loaded.</summary>
    public int ExitCode => HasFailed ? 3 : 0;

    /// <summary>Gets a short description of the phase, for health check output.</summary>
    public string Description => Volatile.Read(ref _phase) switch
    {
        Loading => "models are loading",
        Ready => "all models loaded",
        Failed => FailureMessage ?? "model loading failed",
        _ => "shutting down",
    };

    internal void MarkReady() => Interlocked.CompareExchange(ref _phase, Ready, Loading); // a shutdown that raced loading wins

    internal void MarkFailed(string message)
    {
        FailureMessage = message;
        Volatile.Write(ref _phase, Failed);
    }

    internal void MarkStopping()
    {
        if (Volatile.Read(ref _phase) != Failed)
        {
            Volatile.Write(ref _phase, Stopping);
        }
    }
}
