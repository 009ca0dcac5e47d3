using Prometheus;

namespace BertIgGrpc.Server.Infrastructure;

/// <summary>
/// The Prometheus series the server exports at <c>/metrics</c>. Steps per second is
/// <c>rate(bertig_explain_steps_total[1m])</c>; the gauges are set from <see cref="ExplanationGate"/>.
/// Each server instance has its own <see cref="Registry"/> (never prometheus-net's process-wide default), so
/// servers in one process do not share counts, and only the series registered on purpose are exported.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.001, 2, 18); // 1 ms .. ~131 s

    /// <summary>Creates the series in <paramref name="registry"/> (a new, empty registry when null).</summary>
    public ServerMetrics(CollectorRegistry? registry = null)
    {
        Registry = registry ?? Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter(
            "bertig_grpc_requests_total", "gRPC calls handled, by method and status code.",
            new CounterConfiguration { LabelNames = ["method", "code"] });
        Latency = factory.CreateHistogram(
            "bertig_grpc_request_duration_seconds", "gRPC call latency in seconds, by method.",
            new HistogramConfiguration { LabelNames = ["method"], Buckets = LatencyBuckets });
        Steps = factory.CreateCounter(
            "bertig_explain_steps_total", "Integration steps evaluated, by model (rate() gives steps per second).",
            new CounterConfiguration { LabelNames = ["model"] });
        StepsPerSecond = factory.CreateHistogram(
            "bertig_explain_steps_per_second", "Throughput of each completed explanation in integration steps per second, by model.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(1, 2, 16) });
        QueueDepth = factory.CreateGauge("bertig_explain_queue_depth", "Explanations waiting for a free slot.");
        InFlight = factory.CreateGauge("bertig_explain_in_flight", "Explanations running now.");
        PredictQueueDepth = factory.CreateGauge("bertig_predict_queue_depth", "Predict calls waiting for tokens (BertIg:Limits:MaxPredictTokensInFlight).");
        PredictTokensInFlight = factory.CreateGauge("bertig_predict_tokens_in_flight", "Tokens of the Predict calls admitted now.");
    }

    /// <summary>Gets the registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Gets the counter of calls by <c>method</c> and <c>code</c>.</summary>
    public Counter Requests { get; }

    /// <summary>Gets the latency histogram by <c>method</c>.</summary>
    public Histogram Latency { get; }

    /// <summary>Gets the counter of integration steps by <c>model</c>.</summary>
    public Counter Steps { get; }

    /// <summary>Gets the per-explanation throughput histogram by <c>model</c>.</summary>
    public Histogram StepsPerSecond { get; }

    /// <summary>Gets the gauge of queued explanations.</summary>
    public Gauge QueueDepth { get; }

    /// <summary>Gets the gauge of running explanations.</summary>
    public Gauge InFlight { get; }

    /// <summary>Gets the gauge of queued Predict calls.</summary>
    public Gauge PredictQueueDepth { get; }

    /// <summary>Gets the gauge of the tokens of admitted Predict calls.</summary>
    public Gauge PredictTokensInFlight { get; }
}
