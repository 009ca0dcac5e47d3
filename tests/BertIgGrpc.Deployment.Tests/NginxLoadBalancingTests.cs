using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Xunit.Abstractions;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// An L7 proxy in front of the replicas: nginx configured from <c>deploy/nginx/bertig.conf</c> carries streaming
/// Explain calls from one client connection to every replica, and skips a replica that has stopped.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class NginxLoadBalancingTests(ModelCache cache, ITestOutputHelper output)
{
    private const string ExplainMethod = "/bertig.v1.Explainer/Explain";
    private const int CallsPerPhase = 9;

    [Fact]
    public async Task Explain_ThroughNginx_StreamsFromEveryReplicaAndSkipsAStoppedOne()
    {
        await using var set = await ReplicaSet.StartAsync(3, cache);
        await using var nginx = await NginxProxy.StartAsync(set.Replicas.Select(r => r.GrpcPort).ToList());
        using var http = new HttpClient();
        // No client retries: whatever reaches the client is what nginx did. One channel, so one HTTP/2 connection.
        using var client = BertIgClient.Create(new BertIgClientOptions
        {
            Address = nginx.Address,
            MaxAttempts = 1,
            DefaultDeadline = TimeSpan.FromSeconds(60),
        });
        string Diagnostics() => $"{nginx.Diagnostics()}\n{set.Logs()}";

        // 1. All three up: streaming calls through one connection reach every replica.
        var before = await CountsAsync(set.Replicas, http);
        await ExplainManyAsync(client, Diagnostics);
        var spread = Delta(await CountsAsync(set.Replicas, http), before);
        output.WriteLine($"{CallsPerPhase} streaming calls through nginx: {string.Join(", ", spread)}");
        Assert.Equal(CallsPerPhase, spread.Sum());
        Assert.All(spread, n => Assert.True(n > 0, $"nginx sent no call to a replica: {string.Join(", ", spread)}.\n{Diagnostics()}"));

        // 2. replica-2 stops (SIGTERM, as Kubernetes stops a pod); new calls go to the other two and none fails.
        await set[2].StopAsync(TimeSpan.FromSeconds(ReplicaSet.ShutdownTimeoutSeconds * 2));
        Replica[] left = [set[0], set[1]];
        var beforeLeft = await CountsAsync(left, http);
        await ExplainManyAsync(client, Diagnostics);
        var afterStop = Delta(await CountsAsync(left, http), beforeLeft);
        output.WriteLine($"{CallsPerPhase} streaming calls after the stop: {string.Join(", ", afterStop)}");
        Assert.Equal(CallsPerPhase, afterStop.Sum());
        Assert.All(afterStop, n => Assert.True(n > 0, $"A remaining replica got no call: {string.Join(", ", afterStop)}.\n{Diagnostics()}"));

        // nginx found out by trying: a call went to the stopped replica first (refused) and then to another one.
        output.WriteLine(nginx.AccessLog);
        Assert.Contains($"upstream=127.0.0.1:{set[2].GrpcPort}, 127.0.0.1:", nginx.AccessLog, StringComparison.Ordinal);
    }

    /// <summary>Runs <see cref="CallsPerPhase"/> streaming explanations one after another; each must stream progress, then one result.</summary>
    private static async Task ExplainManyAsync(BertIgClient client, Func<string> diagnostics)
    {
        for (var i = 0; i < CallsPerPhase; i++)
        {
            var progress = 0;
            ExplainResult? result = null;
            try
            {
                await foreach (var ev in client.StreamExplain("The plot was thin but the acting was superb.", new ExplainOptions { Steps = 8, InternalBatchSize = 2 }))
                {
                    switch (ev.EventCase)
                    {
                        case ExplainResponse.EventOneofCase.Progress:
                            Assert.Null(result);
                            progress++;
                            break;
                        case ExplainResponse.EventOneofCase.Result:
                            result = ev.Result;
                            break;
                    }
                }
            }
            catch (Grpc.Core.RpcException ex)
            {
                Assert.Fail($"Call {i} failed through nginx: {ex.StatusCode} {ex.Status.Detail}\n{diagnostics()}");
            }

            Assert.True(progress > 0, $"Call {i} streamed no progress event through nginx.");
            Assert.NotNull(result);
            Assert.NotEmpty(result.Tokens);
        }
    }

    private static async Task<int[]> CountsAsync(IEnumerable<Replica> replicas, HttpClient http)
        => await Task.WhenAll(replicas.Select(r => r.CountCallsAsync(http, ExplainMethod)));

    private static int[] Delta(int[] after, int[] before) => after.Zip(before, (a, b) => a - b).ToArray();
}
