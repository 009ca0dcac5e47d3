using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace BertIgGrpc.Client;

/// <summary>Builds the gRPC service config (retry policy) that both <see cref="BertIgClient.Create(BertIgClientOptions)"/> and the client factory registration use.</summary>
public static class BertIgServiceConfig
{
    /// <summary>
    /// A service config that retries every Explainer method on UNAVAILABLE with exponential backoff. Only UNAVAILABLE is
    /// retried: it is the one status that says the request never reached a working server (restart, overload shedding at
    /// the connection, network blip), so a retry cannot repeat work or hide a real error. With several servers behind
    /// <see cref="BertIgClientOptions.LoadBalancingPolicy"/> round_robin, the retry goes to the next ready one.
    /// </summary>
    /// <param name="options">The client options (attempts and backoff).</param>
    /// <returns>The service config, with no retry policy when <see cref="BertIgClientOptions.MaxAttempts"/> is 1.</returns>
    public static ServiceConfig Create(BertIgClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        var method = new MethodConfig { Names = { MethodName.Default } };
        if (options.MaxAttempts > 1)
        {
            method.RetryPolicy = new RetryPolicy
            {
                MaxAttempts = options.MaxAttempts,
                InitialBackoff = options.InitialBackoff,
                MaxBackoff = options.MaxBackoff,
                BackoffMultiplier = options.BackoffMultiplier,
                RetryableStatusCodes = { StatusCode.Unavailable },
            };
        }

        var config = new ServiceConfig { MethodConfigs = { method } };
        if (options.LoadBalancingPolicy is { } policy)
        {
            config.LoadBalancingConfigs.Add(policy == BertIgClientOptions.RoundRobin ? new RoundRobinConfig() : new PickFirstConfig());
        }

        return config;
    }

    /// <summary>
    /// Applies the service config to channel options; the channel's own attempt cap is raised to match (it defaults to 5).
    /// A <c>dns:///</c> address gets plaintext credentials unless the channel already has some.
    /// </summary>
    /// <param name="channel">The channel options to change.</param>
    /// <param name="options">The client options.</param>
    public static void Apply(GrpcChannelOptions channel, BertIgClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(channel);
        channel.ServiceConfig = Create(options);
        channel.MaxRetryAttempts = options.MaxAttempts;
        if (options.Address.Scheme == BertIgClientOptions.DnsScheme)
        {
            channel.Credentials ??= ChannelCredentials.Insecure;
        }
    }
}
