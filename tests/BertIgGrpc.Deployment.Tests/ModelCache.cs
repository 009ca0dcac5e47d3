namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// The model cache every replica of this assembly shares: BERTIG_TEST_CACHE_DIR when set (reused across runs),
/// else a temporary folder deleted afterwards. The first replica to start builds the default model into it.
/// BERTIG_TEST_STARTUP_SECONDS overrides the health wait (default 300 s, enough to build the model on a slow machine).
/// </summary>
public sealed class ModelCache : IDisposable
{
    private readonly string? _temporary;

    public ModelCache()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BERTIG_TEST_CACHE_DIR");
        if (string.IsNullOrEmpty(fromEnv))
        {
            _temporary = System.IO.Directory.CreateTempSubdirectory("bertig-deployment-tests-").FullName;
            Directory = _temporary;
        }
        else
        {
            Directory = fromEnv;
        }

        StartupTimeout = TimeSpan.FromSeconds(
            int.TryParse(Environment.GetEnvironmentVariable("BERTIG_TEST_STARTUP_SECONDS"), out var s) ? s : 300);
    }

    public string Directory { get; }

    public TimeSpan StartupTimeout { get; }

    public void Dispose()
    {
        if (_temporary is not null)
        {
            try
            {
                System.IO.Directory.Delete(_temporary, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless; cleanup must not fail the run.
            }
        }
    }
}

/// <summary>Tests that start server replicas: one at a time (they share the machine) and one model cache.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ModelCache>
{
    public const string Name = "replicas";
}
