using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.TestModels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Engine.Tests.Models;

/// <summary>A temporary directory of tiny BERT models and registries configured over it, for the registry tests.</summary>
public abstract class ModelRegistryTestBase : IDisposable
{
    /// <summary>Gets this test's own directory (model files and the cache), deleted afterwards.</summary>
    protected string Dir { get; } = Directory.CreateTempSubdirectory("bertig-models-").FullName;

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    protected (string Model, string Vocab) WriteTiny(string name, TinyBertBuilder? builder = null) =>
        (builder ?? new TinyBertBuilder()).WriteTo(Path.Combine(Dir, name));

    protected ModelRegistry Registry(params ModelOptions[] models) => Registry(enableDefault: false, models);

    protected ModelRegistry Registry(bool enableDefault, params ModelOptions[] models) => new(
        Options.Create(new BertIgOptions { EnableDefaultModel = enableDefault, Models = [.. models], CacheDirectory = Path.Combine(Dir, "cache") }),
        NullLoggerFactory.Instance)
    {
        EncoderDllPath = MiniLm.DllPath,
    };

    protected ModelOptions Tiny(string name = "tiny", TinyBertBuilder? builder = null)
    {
        var (model, vocab) = WriteTiny(name, builder);
        return new ModelOptions { Name = name, Path = model, Vocab = vocab, Labels = ["neg", "pos"] };
    }

    protected async Task<ModelLoadException> LoadFails(ModelRegistry registry)
    {
        using (registry)
        {
            var ex = await Assert.ThrowsAsync<ModelLoadException>(() => registry.LoadAsync());
            Assert.False(registry.IsReady);
            return ex;
        }
    }
}
