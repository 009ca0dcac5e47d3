using BertIgGrpc.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BertIgGrpc.Server.Tests;

public sealed class HealthStateTests
{
    private static async Task<HealthStatus> CheckAsync(ModelLoadState state)
        => (await new ModelsHealthCheck(state).CheckHealthAsync(new HealthCheckContext())).Status;

    [Fact]
    public async Task Check_WhileLoading_IsUnhealthy()
    {
        Assert.Equal(HealthStatus.Unhealthy, await CheckAsync(new ModelLoadState()));
    }

    [Fact]
    public async Task Check_AfterLoad_IsHealthy()
    {
        var state = new ModelLoadState();
        state.MarkReady();

        Assert.Equal(HealthStatus.Healthy, await CheckAsync(state));
        Assert.Equal(0, state.ExitCode);
    }

    [Fact]
    public async Task Check_WhenStopping_IsUnhealthy()
    {
        var state = new ModelLoadState();
        state.MarkReady();
        state.MarkStopping();

        Assert.Equal(HealthStatus.Unhealthy, await CheckAsync(state));
    }

    [Fact]
    public async Task MarkReady_AfterStopping_StaysUnhealthy()
    {
        var state = new ModelLoadState();
        state.MarkStopping();
        state.MarkReady();

        Assert.Equal(HealthStatus.Unhealthy, await CheckAsync(state));
    }

    [Fact]
    public async Task MarkFailed_ThenStopping_KeepsFailureAndExitCode()
    {
        var state = new ModelLoadState();
        state.MarkFailed("Model 'x': file not found");
        state.MarkStopping();

        Assert.Equal(HealthStatus.Unhealthy, await CheckAsync(state));
        Assert.NotEqual(0, state.ExitCode);
        Assert.Equal("Model 'x': file not found", state.Description);
    }
}
