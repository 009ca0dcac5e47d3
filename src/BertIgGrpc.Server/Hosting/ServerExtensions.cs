using System.Net.Sockets;
using BertIgGrpc.Engine;
using BertIgGrpc.Server.Grpc;
using BertIgGrpc.Server.Infrastructure;
using BertIgGrpc.Server.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prometheus;

namespace BertIgGrpc.Server.Hosting;

/// <summary>Registration and endpoint mapping for the BertIgGrpc server (used by Program and by the functional tests).</summary>
public static class ServerExtensions
{
    /// <summary>The gRPC service name health is also reported for (besides the whole server, <c>""</c>).</summary>
    public const string ExplainerServiceName = "bertig.v1.Explainer";

    /// <summary>grpc-dotnet's log category for call handling (status details, request decoding errors).</summary>
    internal const string GrpcCallHandlerCategory = "Grpc.AspNetCore.Server.ServerCallHandler";

    /// <summary>
    /// Adds the engine, admission control, model loading, gRPC (with validation, error mapping and metrics
    /// interceptors), gRPC health, reflection and health checks. Kestrel endpoints come from the standard
    /// <c>Kestrel:Endpoints</c> configuration (see appsettings.json).
    /// </summary>
    public static WebApplicationBuilder AddBertIgServer(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<BertIgServerOptions>()
            .BindConfiguration(BertIgServerOptions.SectionName)
            .Validate(o => o.MaxQueueLength >= 0, "BertIg:Server:MaxQueueLength must be 0 or more.")
            .Validate(o => o.ShutdownTimeoutSeconds >= 0, "BertIg:Server:ShutdownTimeoutSeconds must be 0 or more.")
            .ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<BertIgServerOptions>>(
            (host, server) => host.ShutdownTimeout = TimeSpan.FromSeconds(server.Value.ShutdownTimeoutSeconds));

        // grpc-dotnet's call handler logs every error status with its detail (which can quote request text, e.g. a model
        // name with a newline or an ANSI escape) and decoding failures with a stack trace, at Information level. The
        // interceptors and ExplainerMethodProvider log those calls themselves, escaped and without traces.
        builder.Logging.AddFilter(GrpcCallHandlerCategory, LogLevel.Warning);

        services.AddBertIgEngine(builder.Configuration);
        builder.AddBertIgTelemetry();

        services.AddSingleton<ModelLoadState>();
        services.AddSingleton(_ =>
        {
            // One registry per server: the service's own series plus the standard process_* ones (and the HTTP
            // ones added in MapBertIgServer); no runtime event counters or meters.
            var registry = Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return new ServerMetrics(registry);
        });
        services.AddSingleton<ExplanationGate>();
        services.AddSingleton<PredictAdmission>();
        services.AddSingleton<ShutdownSignal>();
        services.AddHostedService<ModelLoaderService>();

        services.AddGrpc(options =>
        {
            // Outermost first: metrics see the final status, validation runs before any work,
            // and the exception mapper sits next to the handlers.
            options.Interceptors.Add<MetricsInterceptor>();
            options.Interceptors.Add<ValidationInterceptor>();
            options.Interceptors.Add<ExceptionInterceptor>();
            options.EnableDetailedErrors = false;
        });
        services.AddSingleton<global::Grpc.AspNetCore.Server.Model.IServiceMethodProvider<ExplainerService>, ExplainerMethodProvider>();
        if (builder.AddBertIgSecurity().Reflection.Enabled)
        {
            services.AddGrpcReflection();
        }

        services.AddGrpcHealthChecks(options =>
            {
                options.Services.Map("", _ => true);
                options.Services.Map(ExplainerServiceName, _ => true);
            })
            .AddCheck<ModelsHealthCheck>("models");

        return builder;
    }

    /// <summary>
    /// Maps the Explainer (gRPC and gRPC-Web), grpc.health.v1.Health (always open), reflection, <c>/healthz</c>,
    /// <c>/metrics</c>, and the dashboard's static files when <c>wwwroot</c> exists, each as <c>BertIg</c>'s security
    /// settings allow (see <see cref="SecurityOptions"/>): the gRPC endpoint serves gRPC only, the Http endpoint the rest.
    /// </summary>
    public static WebApplication MapBertIgServer(this WebApplication app)
    {
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var hasDashboard = app.UseBertIgDashboard(security);
        app.UseRouting();
        var serverMetrics = app.Services.GetRequiredService<ServerMetrics>();
        app.UseHttpMetrics(options => options.SetMetricFactory(Metrics.WithCustomRegistry(serverMetrics.Registry)));
        app.UseGrpcWeb(); // gRPC-Web arrives over HTTP/1.1 on the Http endpoint, from the dashboard's own origin unless CORS is configured
        app.UseBertIgSecurity(security);

        app.MapGrpcService<ExplainerService>().EnableGrpcWeb().RequireBertIgCaller(security).OnListeners(ListenerRole.Grpc, ListenerRole.Web);
        app.MapGrpcHealthChecksService().EnableGrpcWeb().WithBertIgCors(security); // probes carry no credentials
        if (security.Reflection.Enabled)
        {
            app.MapGrpcReflectionService().RequireBertIgCaller(security).OnListeners(ListenerRole.Grpc, ListenerRole.Web);
        }

        app.MapHealthChecks("/healthz").OnListeners(ListenerRole.Web, ListenerRole.Metrics);
        if (security.Metrics.Enabled)
        {
            var metrics = app.MapMetrics("/metrics", serverMetrics.Registry).OnListeners(SecurityExtensions.HasMetricsListener(app.Configuration) ? ListenerRole.Metrics : ListenerRole.Web);
            if (security.Auth.Enabled && !security.Metrics.AllowAnonymous)
            {
                metrics.RequireAuthorization(SecurityExtensions.CallerPolicy);
            }
        }

        if (!hasDashboard)
        {
            app.MapGet("/", () => Results.Text(
                "BertIgGrpc server. gRPC: bertig.v1.Explainer (with reflection and grpc.health.v1.Health); HTTP: /healthz, /metrics.\n"))
                .OnListeners(ListenerRole.Web);
        }

        return app;
    }

    /// <summary>
    /// Runs until shutdown and returns the process exit code: 0, 3 when a model could not be loaded,
    /// 2 when an endpoint could not be bound. Each failure is reported as one log line.
    /// </summary>
    public static async Task<int> RunBertIgServerAsync(this WebApplication app)
    {
        var state = app.Services.GetRequiredService<ModelLoadState>();
        try
        {
            await app.RunAsync();
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException or SocketException)
        {
            ServerLog.BindFailed(app.Logger, ex.Message);
            return 2;
        }

        return state.ExitCode;
    }
}
