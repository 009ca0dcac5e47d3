using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// The options a client of several replicas sets (a headless Service's dns:/// name with round_robin). The behaviour
/// against three real replicas is tested in tests/BertIgGrpc.Deployment.Tests (ClientLoadBalancingTests).
/// </summary>
public sealed class LoadBalancingOptionsTests
{
    [Fact]
    public void ServiceConfig_RoundRobin_CarriesThePolicyAndTheRetryPolicy()
    {
        var config = BertIgServiceConfig.Create(new BertIgClientOptions { LoadBalancingPolicy = BertIgClientOptions.RoundRobin });

        Assert.IsType<RoundRobinConfig>(Assert.Single(config.LoadBalancingConfigs));
        Assert.NotNull(Assert.Single(config.MethodConfigs).RetryPolicy);
    }

    [Fact]
    public void ServiceConfig_NoPolicy_LeavesGrpcDefault()
        => Assert.Empty(BertIgServiceConfig.Create(new BertIgClientOptions()).LoadBalancingConfigs);

    [Fact]
    public void EnsureValid_UnknownPolicy_ThrowsNamingProperty()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BertIgClientOptions { LoadBalancingPolicy = "least_request" }.EnsureValid());

        Assert.Equal(nameof(BertIgClientOptions.LoadBalancingPolicy), ex.ParamName);
        Assert.Contains("least_request", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureValid_UnsupportedScheme_ThrowsNamingProperty()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BertIgClientOptions { Address = new Uri("ftp://bertig:50051") }.EnsureValid());

        Assert.Equal(nameof(BertIgClientOptions.Address), ex.ParamName);
    }

    [Fact]
    public void Apply_DnsAddress_UsesPlaintextCredentialsSoTheChannelCanBeCreated()
    {
        var options = new BertIgClientOptions { Address = new Uri("dns:///bertig-headless.default.svc.cluster.local:50051"), LoadBalancingPolicy = BertIgClientOptions.RoundRobin };
        var channelOptions = new GrpcChannelOptions();

        BertIgServiceConfig.Apply(channelOptions, options);
        using var client = BertIgClient.Create(options);

        Assert.NotNull(channelOptions.Credentials);
        Assert.NotNull(client.Stub);
    }
}
