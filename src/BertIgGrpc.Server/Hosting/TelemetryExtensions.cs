using System.Reflection;
using BertIgGrpc.Engine;
using BertIgGrpc.Server.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace BertIgGrpc.Server.Hosting;

/// <summary>
/// OpenTelemetry wiring. Tracing is always on in-process: ASP.NET Core's request span (continuing the caller's W3C
/// <c>traceparent</c> from the HTTP/2 headers, i.e. the gRPC metadata), the server's admission span
/// (<see cref="ServerTelemetry"/>) and the engine's spans (<see cref="EngineTelemetry"/>). Nothing leaves the process
/// unless OTLP export is asked for with the standard <c>OTEL_*</c> variables (see <see cref="IsOtlpExportEnabled"/>);
/// the exporter then reads its endpoint, protocol, headers and timeout from them too. The Prometheus <c>/metrics</c>
/// endpoint is separate and unaffected.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>The service name reported when <c>OTEL_SERVICE_NAME</c> is not set.</summary>
    public const string DefaultServiceName = "bertig-server";

    /// <summary>
    /// Registers the OpenTelemetry SDK (tracing, and metrics when they are exported). Does nothing when
    /// <c>OTEL_SDK_DISABLED</c> is <c>true</c>.
    /// </summary>
    public static WebApplicationBuilder AddBertIgTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        if (string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase))
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                configuration["OTEL_SERVICE_NAME"] ?? DefaultServiceName,
                serviceVersion: typeof(TelemetryExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion))
            .WithTracing(tracing =>
            {
                tracing.AddSource(ServerTelemetry.Name, EngineTelemetry.Name)
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbeOrScrape(context.Request.Path));
                if (IsOtlpExportEnabled(configuration, "TRACES"))
                {
                    tracing.AddOtlpExporter();
                }
            });

        // The Meters are only collected when someone receives them; scrapers keep reading /metrics.
        if (IsOtlpExportEnabled(configuration, "METRICS"))
        {
            telemetry.WithMetrics(metrics => metrics
                .AddMeter(ServerTelemetry.Name, EngineTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>
    /// Whether one signal (<c>TRACES</c>, <c>METRICS</c>) is exported over OTLP: <c>OTEL_{signal}_EXPORTER</c> decides when
    /// set (<c>otlp</c> among its values turns export on, anything else such as <c>none</c> off); otherwise export is on
    /// exactly when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_{signal}_ENDPOINT</c> is set. So a server
    /// started without any of them sends nothing anywhere (the SDK's own default would be <c>localhost:4317</c>).
    /// </summary>
    internal static bool IsOtlpExportEnabled(IConfiguration configuration, string signal)
    {
        var exporters = configuration[$"OTEL_{signal}_EXPORTER"];
        if (!string.IsNullOrWhiteSpace(exporters))
        {
            return exporters.Split(',', StringSplitOptions.TrimEntries).Contains("otlp", StringComparer.OrdinalIgnoreCase);
        }

        return !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            || !string.IsNullOrWhiteSpace(configuration[$"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"]);
    }

    // Health probes and Prometheus scrapes arrive every few seconds and would bury the explanations in traces.
    private static bool IsProbeOrScrape(PathString path)
        => path.StartsWithSegments("/grpc.health.v1.Health") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/metrics");
}
