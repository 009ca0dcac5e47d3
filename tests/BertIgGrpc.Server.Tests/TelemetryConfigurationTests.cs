using BertIgGrpc.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace BertIgGrpc.Server.Tests;

/// <summary>OTLP export is off unless the standard OTEL_* variables ask for it, per signal.</summary>
public sealed class TelemetryConfigurationTests
{
    [Theory]
    [InlineData("TRACES", false)]
    [InlineData("TRACES", true, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]
    [InlineData("METRICS", true, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]
    [InlineData("TRACES", true, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")]
    [InlineData("METRICS", false, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")]
    [InlineData("TRACES", true, "OTEL_TRACES_EXPORTER", "console, otlp")]
    [InlineData("TRACES", false, "OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]
    [InlineData("METRICS", true, "OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]
    public void IsOtlpExportEnabled_StandardVariables_DecideExportPerSignal(string signal, bool expected, params string[] variables)
    {
        var settings = variables.Chunk(2).ToDictionary(pair => pair[0], pair => (string?)pair[1]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        Assert.Equal(expected, TelemetryExtensions.IsOtlpExportEnabled(configuration, signal));
    }
}
