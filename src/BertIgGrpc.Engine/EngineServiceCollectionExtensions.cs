using BertIgGrpc.Engine.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Engine;

/// <summary>Registers the engine with dependency injection.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="BertIgOptions"/> from the <c>BertIg</c> section of <paramref name="configuration"/> and registers
    /// <see cref="ModelRegistry"/> as a singleton. The host must call <see cref="ModelRegistry.LoadAsync"/> once at
    /// start-up (a bad model then stops start-up with a <see cref="ModelLoadException"/>).
    /// </summary>
    public static IServiceCollection AddBertIgEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BertIgOptions>().Bind(configuration.GetSection(BertIgOptions.SectionName));
        // Logging is the host's to register; without it (e.g. a bare ServiceCollection) the engine logs nowhere.
        services.TryAddSingleton(sp => new ModelRegistry(
            sp.GetRequiredService<IOptions<BertIgOptions>>(), sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        return services;
    }
}
