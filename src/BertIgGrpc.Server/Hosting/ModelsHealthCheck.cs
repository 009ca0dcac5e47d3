using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BertIgGrpc.Server.Hosting;

/// <summary>
/// Healthy once every model is loaded, unhealthy while loading, after a failed load and during shutdown.
/// Feeds both <c>grpc.health.v1.Health</c> (SERVING / NOT_SERVING) and <c>/healthz</c>.
/// </summary>
internal sealed class ModelsHealthCheck(ModelLoadState state) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(state.IsServing
            ? HealthCheckResult.Healthy(state.Description)
            : HealthCheckResult.Unhealthy(state.Description));
}
