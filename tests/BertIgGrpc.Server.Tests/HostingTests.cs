using System.Net;
using BertIgGrpc.Contracts.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Grpc.Reflection.V1Alpha;

namespace BertIgGrpc.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class HostingTests(ServerFixture server)
{
    [Fact]
    public async Task Health_AfterModelsLoaded_ReportsServing()
    {
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Health_UnknownService_ReturnsNotFound()
    {
        await RpcAssert.ThrowsAsync(StatusCode.NotFound,
            () => server.Health.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }).ResponseAsync);
    }

    [Fact]
    public async Task Reflection_ListServices_IncludesExplainerAndHealth()
    {
        var client = new ServerReflection.ServerReflectionClient(server.Channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();

        Assert.True(await call.ResponseStream.MoveNext());
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("bertig.v1.Explainer", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Reflection_FileContainingSymbol_ReturnsExplainerDescriptor()
    {
        var client = new ServerReflection.ServerReflectionClient(server.Channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "bertig.v1.Explainer" });
        await call.RequestStream.CompleteAsync();

        Assert.True(await call.ResponseStream.MoveNext());
        Assert.NotEmpty(call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto);
    }

    [Fact]
    public async Task Metrics_AfterCalls_ExposesRequestQueueAndLatencySeries()
    {
        await server.Client.ListModelsAsync(new ListModelsRequest());

        var text = await server.Http.GetStringAsync("/metrics");

        Assert.Contains("bertig_grpc_requests_total{method=\"/bertig.v1.Explainer/ListModels\",code=\"OK\"}", text);
        Assert.Contains("bertig_grpc_request_duration_seconds_bucket{method=\"/bertig.v1.Explainer/ListModels\"", text);
        Assert.Contains("bertig_explain_queue_depth", text);
        Assert.Contains("bertig_explain_in_flight", text);
        Assert.Contains("bertig_explain_steps_total", text);
    }

    /// <summary>The families README.md documents: the service's own, .NET's process series, and HTTP requests.</summary>
    public static readonly string[] DocumentedMetricFamilies =
    [
        "bertig_grpc_requests_total", "bertig_grpc_request_duration_seconds", "bertig_explain_steps_total",
        "bertig_explain_steps_per_second", "bertig_explain_queue_depth", "bertig_explain_in_flight",
        "bertig_predict_queue_depth", "bertig_predict_tokens_in_flight",
        "process_cpu_seconds_total", "process_start_time_seconds", "process_virtual_memory_bytes", "process_working_set_bytes",
        "process_private_memory_bytes", "process_open_handles", "process_num_threads",
        "dotnet_collection_count_total", "dotnet_total_memory_bytes",
        "http_requests_received_total", "http_request_duration_seconds", "http_requests_in_progress",
    ];

    [Fact]
    public async Task Metrics_Exported_AreExactlyTheDocumentedFamilies()
    {
        await server.Client.ListModelsAsync(new ListModelsRequest());
        await server.Http.GetStringAsync("/healthz");

        var text = await server.Http.GetStringAsync("/metrics");

        var families = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToHashSet();
        Assert.Equal(DocumentedMetricFamilies.Order(StringComparer.Ordinal), families.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Healthz_AfterModelsLoaded_ReturnsHealthy()
    {
        using var response = await server.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Root_WithoutDashboard_DescribesTheServer()
    {
        var text = await server.Http.GetStringAsync("/");

        Assert.Contains("bertig.v1.Explainer", text);
    }

    [Fact]
    public async Task GrpcWeb_OverHttp1Endpoint_ReachesExplainer()
    {
        using var channel = GrpcChannel.ForAddress(server.HttpAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWebText, new HttpClientHandler()),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
        var client = new Explainer.ExplainerClient(channel);

        var models = await client.ListModelsAsync(new ListModelsRequest());
        using var call = client.Explain(new ExplainRequest { Text = "Great fun.", NSteps = 4, InternalBatchSize = 2 });
        var events = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Contains(models.Models, m => m.Name == ServerFixture.DefaultModel);
        Assert.Equal(ExplainResponse.EventOneofCase.Result, events[^1].EventCase);
    }
}
