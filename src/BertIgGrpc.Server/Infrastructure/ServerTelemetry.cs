using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BertIgGrpc.Server.Infrastructure;

/// <summary>
/// The server's own spans and instruments (System.Diagnostics): an <see cref="ActivitySource"/> and a
/// <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="Name"/>. The request span itself comes from ASP.NET Core
/// (parented to the caller's W3C <c>traceparent</c>); this source adds the wait for an admission slot beneath it.
/// The Prometheus series at <c>/metrics</c> are <see cref="ServerMetrics"/>, unchanged.
/// </summary>
public static class ServerTelemetry
{
    /// <summary>The name of the server's activity source and meter.</summary>
    public const string Name = "BertIgGrpc.Server";

    /// <summary>The span around the wait for an explanation slot (<see cref="ExplanationGate"/>), from arrival to admission or refusal.</summary>
    public const string AdmissionSpan = "bertig.server.admission";

    private static readonly string? Version = typeof(ServerTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>Gets the server's activity source.</summary>
    public static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>Gets the server's meter.</summary>
    public static Meter Meter { get; } = new(Name, Version);

    private static readonly Histogram<double> AdmissionWait = Meter.CreateHistogram<double>(
        "bertig.server.admission.duration", "s", "Time explanations spent waiting for a slot (admitted, refused or cancelled).");

    /// <summary>Starts the admission span with the gate's state on arrival; dispose it once admitted, refused or cancelled.</summary>
    internal static AdmissionScope StartAdmission(int running, int queued)
    {
        var activity = Source.StartActivity(AdmissionSpan);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("bertig.admission.running", running);
            activity.SetTag("bertig.admission.queued", queued);
        }

        return new AdmissionScope(activity, AdmissionWait.Enabled ? Stopwatch.GetTimestamp() : 0);
    }

    /// <summary>One wait for a slot; disposing it ends the span and records the wait.</summary>
    internal readonly struct AdmissionScope(Activity? activity, long started) : IDisposable
    {
        /// <summary>Ends the span and records the wait.</summary>
        public void Dispose()
        {
            if (started != 0)
            {
                AdmissionWait.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }

            activity?.Dispose();
        }
    }
}
