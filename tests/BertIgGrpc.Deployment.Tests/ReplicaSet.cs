namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// Several replicas of the server sharing one model cache, each with small admission limits and one ONNX Runtime
/// thread so that three fit on a small machine. The first replica starts alone (it may build the default model into
/// the cache); the others start together and reuse it.
/// </summary>
internal sealed class ReplicaSet : IAsyncDisposable
{
    /// <summary>The shutdown timeout each replica is given (seconds); a SIGTERM stop is waited for twice as long.</summary>
    public const int ShutdownTimeoutSeconds = 5;

    private ReplicaSet(List<Replica> replicas) => Replicas = replicas;

    public IReadOnlyList<Replica> Replicas { get; }

    public Replica this[int index] => Replicas[index];

    /// <summary>Starts <paramref name="count"/> replicas; any that started are killed again when one fails.</summary>
    public static async Task<ReplicaSet> StartAsync(int count, ModelCache cache, string? serverDll = null)
    {
        serverDll ??= Repo.ServerAssembly;
        string[] arguments =
        [
            $"--BertIg:CacheDirectory={cache.Directory}",
            "--BertIg:ExecutionProvider=cpu",
            "--BertIg:IntraOpThreads=1",
            "--BertIg:InterOpThreads=1",
            "--BertIg:Server:MaxConcurrentExplanations=1",
            "--BertIg:Server:MaxQueueLength=16",
            $"--BertIg:Server:ShutdownTimeoutSeconds={ShutdownTimeoutSeconds}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
        ];
        var replicas = new List<Replica>();
        try
        {
            replicas.Add(await Replica.StartAsync("replica-0", serverDll, arguments, null, cache.StartupTimeout));
            var rest = Enumerable.Range(1, count - 1)
                .Select(i => Replica.StartAsync($"replica-{i}", serverDll, arguments, null, cache.StartupTimeout))
                .ToList();
            try
            {
                await Task.WhenAll(rest);
            }
            finally
            {
                replicas.AddRange(rest.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }
        }
        catch
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }

            throw;
        }

        return new ReplicaSet(replicas);
    }

    /// <summary>All replicas' log tails, for failure messages.</summary>
    public string Logs() => string.Join("\n", Replicas.Select(r => r.Tail(1500)));

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in Replicas)
        {
            await replica.DisposeAsync();
        }
    }
}
