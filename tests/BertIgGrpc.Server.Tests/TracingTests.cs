using System.Diagnostics;
using BertIgGrpc.Client;
using BertIgGrpc.Engine;
using BertIgGrpc.Server.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// One Explain call from the C# client, made inside a span of the calling service, must appear in that service's trace:
/// the client's span beneath the caller's, the server's request span continuing it through the <c>traceparent</c> header,
/// and the admission and engine spans (tokenization, each ONNX Runtime run, result building) beneath the server's.
/// The server's spans come from its own tracer provider (as configured by AddBertIgServer) through an in-memory exporter.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TracingTests(ServerFixture server, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string CallerSource = "BertIgGrpc.Server.Tests.Caller";

    [Fact]
    public async Task Explain_FromClientInsideCallerSpan_ClientServerAndEngineSpansJoinCallersTrace()
    {
        // The calling service's own OpenTelemetry: its source, the client library's, and grpc-dotnet's and the HTTP handler's spans.
        var callerSpans = new SpanRecorder();
        using var callerTracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(CallerSource, BertIgClientTelemetry.SourceName, "Grpc.Net.Client", "System.Net.Http")
            .AddInMemoryExporter(callerSpans)
            .Build();
        using var callerSource = new ActivitySource(CallerSource);
        using var client = BertIgClient.Create(server.GrpcAddress.ToString());

        ActivityTraceId traceId;
        ActivitySpanId callerSpanId;
        using (var caller = callerSource.StartActivity("caller handles a request"))
        {
            Assert.NotNull(caller);
            (traceId, callerSpanId) = (caller.TraceId, caller.SpanId);
            var result = await client.ExplainAsync("A short and pleasant text.", new ExplainOptions { Steps = 4 });
            Assert.NotEmpty(result.Tokens);
        }

        // The request span ends once the response has gone out, which may be just after the client has read it.
        var serverSpans = await server.Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server, TimeSpan.FromSeconds(30));
        var spans = callerSpans.Snapshot().Concat(serverSpans).Where(s => s.TraceId == traceId).ToArray();
        foreach (var span in spans)
        {
            output.WriteLine($"{span.Source.Name} {span.Kind} '{span.DisplayName}' {span.SpanId} <- {span.ParentSpanId}");
        }

        var byId = spans.ToDictionary(s => s.SpanId);
        var clientSpan = Assert.Single(spans, s => s.Source.Name == BertIgClientTelemetry.SourceName);
        Assert.Equal(ActivityKind.Client, clientSpan.Kind);
        Assert.Equal("bertig.v1.Explainer/ExplainUnary", clientSpan.DisplayName);
        Assert.Equal(callerSpanId, clientSpan.ParentSpanId);

        var serverSpan = Assert.Single(spans, s => s.Kind == ActivityKind.Server);
        Assert.Equal("Microsoft.AspNetCore", serverSpan.Source.Name);
        Assert.Contains("/bertig.v1.Explainer/ExplainUnary", serverSpan.DisplayName);
        Assert.True(IsBeneath(serverSpan, clientSpan), "the server's request span is not beneath the client's span");

        var admission = Assert.Single(spans, s => s.Source.Name == ServerTelemetry.Name);
        Assert.Equal(ServerTelemetry.AdmissionSpan, admission.DisplayName);
        Assert.Equal(serverSpan.SpanId, admission.ParentSpanId);

        var engine = spans.Where(s => s.Source.Name == EngineTelemetry.Name).ToArray();
        Assert.All(engine, s => Assert.True(IsBeneath(s, serverSpan), $"engine span '{s.DisplayName}' is not beneath the server's request span"));
        var explain = Assert.Single(engine, s => s.DisplayName == EngineTelemetry.ExplainSpan);
        Assert.Equal(serverSpan.SpanId, explain.ParentSpanId);
        // Tokenization happens when the request is planned (before admission), under the request span.
        Assert.Equal(serverSpan.SpanId, Assert.Single(engine, s => s.DisplayName == EngineTelemetry.TokenizeSpan).ParentSpanId);
        Assert.Equal(explain.SpanId, Assert.Single(engine, s => s.DisplayName == EngineTelemetry.ResultSpan).ParentSpanId);
        var integrate = Assert.Single(engine, s => s.DisplayName == EngineTelemetry.IntegrateSpan);
        Assert.Equal(explain.SpanId, integrate.ParentSpanId);
        Assert.Equal(4, integrate.GetTagItem("bertig.n_steps"));

        // ONNX Runtime runs: one forward run over input and baseline, then gradient runs covering the 4 steps.
        var runs = engine.Where(s => s.DisplayName == EngineTelemetry.OnnxRunSpan).ToArray();
        Assert.All(runs, run =>
        {
            Assert.Equal(integrate.SpanId, run.ParentSpanId);
            Assert.True(run.GetTagItem(EngineTelemetry.SeqLenTag) is int seqLen && seqLen > 2, "seq_len tag missing or too small");
            Assert.False(string.IsNullOrEmpty(run.GetTagItem(EngineTelemetry.ProviderTag) as string));
        });
        var forward = Assert.Single(runs, r => (string?)r.GetTagItem(EngineTelemetry.GraphTag) == EngineTelemetry.ForwardGraph);
        Assert.Equal(2, forward.GetTagItem(EngineTelemetry.RowsTag));
        var gradientRows = runs.Where(r => (string?)r.GetTagItem(EngineTelemetry.GraphTag) == EngineTelemetry.PathGraph).Sum(r => (int)r.GetTagItem(EngineTelemetry.RowsTag)!);
        Assert.Equal(4, gradientRows);

        bool IsBeneath(Activity span, Activity ancestor)
        {
            for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
            {
                if (parent.SpanId == ancestor.SpanId)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
