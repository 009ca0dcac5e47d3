using BertIgGrpc.Engine.Models;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BertIgGrpc.Server.Hosting;

/// <summary>
/// TEMPORARY engine wiring - the ONE place the server registers the engine. Replace the body with
/// <c>services.AddBertIgEngine(configuration)</c> once BertIgGrpc.Engine ships
/// <c>EngineServiceCollectionExtensions</c>, then delete this file.
/// </summary>
internal static class EngineRegistration
{
    /// <summary>Registers <see cref="BertIgOptions"/> (section <c>BertIg</c>) and a singleton <see cref="ModelRegistry"/>.</summary>
    public static IServiceCollection AddEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BertIgOptions>().Bind(configuration.GetSection(BertIgOptions.SectionName));
        services.TryAddSingleton<ModelRegistry>();
        return services;
    }
}
