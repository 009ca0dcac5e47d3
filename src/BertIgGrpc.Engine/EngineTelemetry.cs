using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BertIgGrpc.Engine;

/// <summary>
/// The engine's traces and metrics, through <see cref="System.Diagnostics"/> only: an <see cref="ActivitySource"/> and a
/// <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="Name"/>, which any listener (the OpenTelemetry SDK in
/// the server, <c>dotnet-trace</c>, <c>dotnet-counters</c>) can subscribe to. When nobody listens, starting a span costs
/// one check and returns null. Span names are constants here so hosts and tests refer to them by name.
/// </summary>
/// <remarks>
/// Spans nest as: <see cref="ExplainSpan"/> &gt; <see cref="TokenizeSpan"/> (one per text), <see cref="IntegrateSpan"/>
/// (one per group of texts with the same settings) &gt; <see cref="OnnxRunSpan"/> (one per ONNX Runtime run), and
/// <see cref="ResultSpan"/> (one per text). Texts never go into spans or tags: they may be personal data.
/// </remarks>
public static class EngineTelemetry
{
    /// <summary>The name of the engine's activity source and meter.</summary>
    public const string Name = "BertIgGrpc.Engine";

    /// <summary>The span around one Explain call into the engine (all its texts).</summary>
    public const string ExplainSpan = "bertig.engine.explain";

    /// <summary>The span around the tokenization of one text (or text pair).</summary>
    public const string TokenizeSpan = "bertig.engine.tokenize";

    /// <summary>The span around the integration of one group of texts (forward run, then the gradient runs).</summary>
    public const string IntegrateSpan = "bertig.engine.integrate";

    /// <summary>The span around one ONNX Runtime run; <see cref="GraphTag"/> says which graph ran.</summary>
    public const string OnnxRunSpan = "bertig.engine.onnxruntime.run";

    /// <summary>The span around the building of one text's result (token and word attributions, prediction).</summary>
    public const string ResultSpan = "bertig.engine.result";

    /// <summary>Tag: the graph an ONNX Runtime run used, <see cref="ForwardGraph"/> or <see cref="PathGraph"/>.</summary>
    public const string GraphTag = "bertig.onnxruntime.graph";

    /// <summary>Tag: rows (batch size) of an ONNX Runtime run.</summary>
    public const string RowsTag = "bertig.onnxruntime.rows";

    /// <summary>Tag: padded sequence length of an ONNX Runtime run.</summary>
    public const string SeqLenTag = "bertig.onnxruntime.seq_len";

    /// <summary>Tag: the execution provider of an ONNX Runtime run.</summary>
    public const string ProviderTag = "bertig.onnxruntime.provider";

    /// <summary><see cref="GraphTag"/> value of the forward graph (ids to cut activations and logits).</summary>
    public const string ForwardGraph = "forward";

    /// <summary><see cref="GraphTag"/> value of the gradient graph with the integration path built in.</summary>
    public const string PathGraph = "path_gradient";

    private static readonly string? Version = typeof(EngineTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>Gets the engine's activity source.</summary>
    public static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>Gets the engine's meter.</summary>
    public static Meter Meter { get; } = new(Name, Version);

    private static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>(
        "bertig.engine.onnxruntime.run.duration", "s", "Duration of ONNX Runtime runs, by graph and execution provider.");

    private static readonly Counter<long> RunRows = Meter.CreateCounter<long>(
        "bertig.engine.onnxruntime.run.rows", "{row}", "Rows evaluated by ONNX Runtime runs, by graph and execution provider.");

    private static readonly Counter<long> TextsTokenized = Meter.CreateCounter<long>(
        "bertig.engine.tokenized_texts", "{text}", "Texts (or text pairs) tokenized.");

    /// <summary>Starts the span of one Explain call into the engine.</summary>
    internal static Activity? StartExplain(string model, int texts)
    {
        var activity = Source.StartActivity(ExplainSpan);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("bertig.model", model);
            activity.SetTag("bertig.texts", texts);
        }

        return activity;
    }

    /// <summary>Starts the span of one text's tokenization (and counts the text).</summary>
    internal static Activity? StartTokenize(int maxTokens)
    {
        TextsTokenized.Add(1);
        return Source.StartActivity(TokenizeSpan)?.SetTag("bertig.max_tokens", maxTokens);
    }

    /// <summary>Starts the span of one group's integration.</summary>
    internal static Activity? StartIntegrate(int texts, int steps, Attribution.IntegrationMethod method)
    {
        var activity = Source.StartActivity(IntegrateSpan);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("bertig.texts", texts);
            activity.SetTag("bertig.n_steps", steps);
            activity.SetTag("bertig.method", method.ToString());
        }

        return activity;
    }

    /// <summary>Starts the span of one text's result building.</summary>
    internal static Activity? StartResult() => Source.StartActivity(ResultSpan);

    /// <summary>Starts one ONNX Runtime run: its span, and its duration and rows in the meter when disposed.</summary>
    internal static OnnxRunScope StartOnnxRun(string graph, int rows, int seqLen, string provider)
    {
        var activity = Source.StartActivity(OnnxRunSpan);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GraphTag, graph);
            activity.SetTag(RowsTag, rows);
            activity.SetTag(SeqLenTag, seqLen);
            activity.SetTag(ProviderTag, provider);
        }

        return new OnnxRunScope(activity, graph, rows, provider, RunDuration.Enabled || RunRows.Enabled ? Stopwatch.GetTimestamp() : 0);
    }

    /// <summary>One ONNX Runtime run in flight; disposing it ends the span and records the run.</summary>
    internal readonly struct OnnxRunScope(Activity? activity, string graph, int rows, string provider, long started) : IDisposable
    {
        /// <summary>Ends the span and records the duration and rows.</summary>
        public void Dispose()
        {
            if (started != 0)
            {
                var tags = new TagList { { GraphTag, graph }, { ProviderTag, provider } };
                RunDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
                RunRows.Add(rows, tags);
            }

            activity?.Dispose();
        }
    }
}
