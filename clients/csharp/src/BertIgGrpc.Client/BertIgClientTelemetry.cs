using System.Diagnostics;
using Grpc.Core;

namespace BertIgGrpc.Client;

/// <summary>
/// The client's spans: one <see cref="ActivityKind.Client"/> span per <see cref="BertIgClient"/> call, from the
/// <see cref="ActivitySource"/> named <see cref="SourceName"/>. Subscribe with OpenTelemetry
/// (<c>tracing.AddSource(BertIgClientTelemetry.SourceName)</c>) or any <see cref="ActivityListener"/>.
/// While the span is current the call is started, so the HTTP handler sends it as the W3C <c>traceparent</c> header and
/// the server's spans join the caller's trace; retries the channel makes appear as separate HTTP requests beneath it.
/// </summary>
public static class BertIgClientTelemetry
{
    /// <summary>The name of the client's activity source.</summary>
    public const string SourceName = "BertIgGrpc.Client";

    /// <summary>The gRPC service the client calls (the <c>rpc.service</c> tag).</summary>
    public const string ServiceName = "bertig.v1.Explainer";

    internal static ActivitySource Source { get; } = new(SourceName, typeof(BertIgClientTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of a call to <paramref name="method"/>, named <c>bertig.v1.Explainer/method</c> as the RPC conventions ask.</summary>
    internal static Activity? StartCall(string method)
    {
        var activity = Source.StartActivity($"{ServiceName}/{method}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", ServiceName);
            activity.SetTag("rpc.method", method);
        }

        return activity;
    }

    /// <summary>
    /// Marks the span failed with the call's status. Returns false, so that it can lead an exception filter
    /// (<c>when (RecordFailure(activity, ex) || ...)</c>) and every failure is recorded whether or not it is caught there.
    /// </summary>
    internal static bool RecordFailure(Activity? activity, RpcException exception)
    {
        if (activity is not null)
        {
            activity.SetTag("rpc.grpc.status_code", (int)exception.StatusCode);
            activity.SetStatus(ActivityStatusCode.Error, exception.StatusCode.ToString());
        }

        return false;
    }
}
