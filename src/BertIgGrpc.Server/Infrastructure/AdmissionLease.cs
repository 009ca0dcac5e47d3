namespace BertIgGrpc.Server.Infrastructure;

/// <summary>
/// A place held in an admission control (<see cref="ExplanationGate"/>, <see cref="PredictAdmission"/>): disposing it
/// gives the place back, once, however often it is disposed.
/// </summary>
internal sealed class AdmissionLease(Action release) : IDisposable
{
    private Action? _release = release;

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
