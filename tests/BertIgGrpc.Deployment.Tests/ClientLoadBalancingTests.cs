using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// Client-side load balancing, as a client of a Kubernetes headless Service does it: one channel, a resolver that
/// returns every replica's address, round_robin over the ready ones, UNAVAILABLE retried by the service config.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class ClientLoadBalancingTests(ModelCache cache, ITestOutputHelper output)
{
    private const string PredictMethod = "/bertig.v1.Explainer/Predict";
    private const int Concurrency = 6;
    private static readonly string[] Texts = ["I loved this film, it was wonderful.", "A dull, boring and awful waste of time."];

    [Fact]
    public async Task Predict_RoundRobinOverThreeReplicas_SpreadsCallsAndLosesNoneWhenOneStops()
    {
        await using var set = await ReplicaSet.StartAsync(3, cache);
        using var http = new HttpClient();
        var options = new BertIgClientOptions
        {
            LoadBalancingPolicy = BertIgClientOptions.RoundRobin,
            MaxAttempts = 5,
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromSeconds(1),
            DefaultDeadline = TimeSpan.FromSeconds(60),
        };
        using var channel = CreateChannel(set.Replicas, options);
        using var client = new BertIgClient(new Explainer.ExplainerClient(channel), Options.Create(options));
        var expected = new Dictionary<string, Prediction>();
        foreach (var text in Texts)
        {
            expected[text] = await client.PredictAsync(text);
        }

        var before = await CountsAsync(set.Replicas, http);

        // 1. All three up: 150 calls reach every replica.
        await RunCallsAsync(client, 150, expected, set);
        var afterSpread = await CountsAsync(set.Replicas, http);
        var spread = Delta(afterSpread, before);
        output.WriteLine($"150 calls over 3 replicas: {string.Join(", ", spread)}");
        Assert.Equal(150, spread.Sum());
        Assert.All(spread, n => Assert.True(n > 0, $"A replica got no calls: {string.Join(", ", spread)}.\n{set.Logs()}"));
        output.WriteLine($"peak resident memory per replica: {string.Join(", ", set.Replicas.Select(r => $"{r.PeakWorkingSetBytes / (1024 * 1024)} MiB"))}");

        // Every replica exports the gauge the gpu overlay's autoscaler scales on (components/queue-autoscaling).
        var metrics = await http.GetStringAsync(new Uri(set[0].HttpAddress, "/metrics"));
        Assert.Contains("\nbertig_explain_queue_depth ", metrics, StringComparison.Ordinal);

        // 2. Calls go on (at least 50) while replica-2 is stopped (SIGTERM, as Kubernetes stops a pod): none may fail.
        var stopping = set[2];
        var stop = new TaskCompletionSource();
        var during = RunCallsAsync(client, 50, expected, set, until: stop.Task);
        await Task.Delay(200);
        try
        {
            await stopping.StopAsync(TimeSpan.FromSeconds(ReplicaSet.ShutdownTimeoutSeconds * 2));
        }
        finally
        {
            stop.TrySetResult();
        }

        var duringCount = await during;
        output.WriteLine($"{duringCount} calls while replica-2 stopped, none failed");
        Assert.Equal(0, stopping.ExitCode);

        // 3. With replica-2 gone, 100 more calls all go to the two that are left.
        Replica[] left = [set[0], set[1]];
        var beforeAfterStop = await CountsAsync(left, http);
        await RunCallsAsync(client, 100, expected, set);
        var afterStop = Delta(await CountsAsync(left, http), beforeAfterStop);
        output.WriteLine($"100 calls after the stop: {string.Join(", ", afterStop)}");
        Assert.Equal(100, afterStop.Sum());
        Assert.All(afterStop, n => Assert.True(n > 0, $"A remaining replica got no calls: {string.Join(", ", afterStop)}."));
    }

    /// <summary>
    /// The channel a client of several replicas builds: a static resolver here (a headless Service's
    /// <c>dns:///</c> name does the same in a cluster), round_robin and the retry policy from <see cref="BertIgServiceConfig"/>.
    /// </summary>
    private static GrpcChannel CreateChannel(IEnumerable<Replica> replicas, BertIgClientOptions options)
    {
        var addresses = replicas.Select(r => new BalancerAddress("127.0.0.1", r.GrpcPort)).ToArray();
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses));
        var channelOptions = new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
            ServiceProvider = services.BuildServiceProvider(),
        };
        BertIgServiceConfig.Apply(channelOptions, options);
        return GrpcChannel.ForAddress("static:///bertig", channelOptions);
    }

    /// <summary>Runs <paramref name="count"/> Predict calls, <see cref="Concurrency"/> at a time (and more until <paramref name="until"/> completes); returns how many ran.</summary>
    private static async Task<int> RunCallsAsync(BertIgClient client, int count, Dictionary<string, Prediction> expected, ReplicaSet set, Task? until = null)
    {
        var next = -1;
        var done = 0;
        var failures = new List<string>();
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count || until is { IsCompleted: false })
            {
                var text = Texts[i % Texts.Length];
                try
                {
                    var prediction = await client.PredictAsync(text);
                    Assert.Equal(expected[text].Label, prediction.Label);
                    Assert.Equal(expected[text].Probability, prediction.Probability, 1e-4);
                    Interlocked.Increment(ref done);
                }
                catch (RpcException ex)
                {
                    lock (failures)
                    {
                        failures.Add($"call {i}: {ex.StatusCode} {ex.Status.Detail}");
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(Worker)));
        Assert.True(failures.Count == 0, $"{failures.Count} of {done + failures.Count} calls failed:\n{string.Join("\n", failures.Take(10))}\n{set.Logs()}");
        return done;
    }

    private static async Task<int[]> CountsAsync(IEnumerable<Replica> replicas, HttpClient http)
        => await Task.WhenAll(replicas.Select(r => r.CountCallsAsync(http, PredictMethod)));

    private static int[] Delta(int[] after, int[] before) => after.Zip(before, (a, b) => a - b).ToArray();
}
