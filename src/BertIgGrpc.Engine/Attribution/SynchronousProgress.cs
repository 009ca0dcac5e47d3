namespace BertIgGrpc.Engine.Attribution;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls back on the reporting thread, synchronously and in order
/// (<see cref="Progress{T}"/> would post to the thread pool and could reorder events). The engine's one progress adapter.
/// </summary>
/// <param name="report">Called with every value; it should not block.</param>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
