using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="BertIgClient"/> through Grpc.Net.ClientFactory.</summary>
public static class BertIgClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="BertIgClient"/> (transient) over a factory-managed <see cref="Explainer.ExplainerClient"/> whose
    /// channel carries the retry service config built from <see cref="BertIgClientOptions"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (address, deadline, retries, API key, TLS files); options may also be bound from configuration.</param>
    /// <returns>The HTTP client builder of the gRPC client, for handlers, interceptors or credentials.</returns>
    public static IHttpClientBuilder AddBertIgClient(this IServiceCollection services, Action<BertIgClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<BertIgClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddTransient<BertIgClient>();
        return services
            .AddGrpcClient<Explainer.ExplainerClient>((sp, factory) =>
                factory.Address = sp.GetRequiredService<IOptions<BertIgClientOptions>>().Value.Address)
            .ConfigurePrimaryHttpMessageHandler(sp =>
                BertIgTransport.CreateHandler(sp.GetRequiredService<IOptions<BertIgClientOptions>>().Value) ?? new SocketsHttpHandler())
            .ConfigureChannel((sp, channel) =>
            {
                var clientOptions = sp.GetRequiredService<IOptions<BertIgClientOptions>>().Value;
                BertIgServiceConfig.Apply(channel, clientOptions);
                BertIgTransport.ApplyCredentials(channel, clientOptions);
            });
    }
}
