using System.Net;
using BertIgGrpc.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Microsoft.Extensions.Logging;

namespace BertIgGrpc.Server.Tests;

/// <summary>Request bytes that are not valid messages: INVALID_ARGUMENT with a correlation id, counted, logged once without a stack trace.</summary>
[Collection(ServerCollection.Name)]
public sealed class MalformedInputTests(ServerFixture server, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Service = "bertig.v1.Explainer";

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(bytes => bytes, bytes => bytes);

    public static TheoryData<string, MethodType, string> MalformedBodies => new()
    {
        { "Predict", MethodType.Unary, "12 02 ff fe" },                              // texts = invalid UTF-8
        { "ExplainUnary", MethodType.Unary, "12 03 67 6f" },                          // text: 3 bytes announced, 2 sent
        { "Explain", MethodType.ServerStreaming, "ff ff ff ff ff ff ff ff ff ff 01" }, // a tag varint longer than 10 bytes
        { "ListModels", MethodType.Unary, "0a" },                                     // a field with its length missing
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Call_MalformedBytes_ReturnsInvalidArgumentWithCorrelationIdAndCountsIt(string method, MethodType type, string hex)
    {
        var counted = server.Metrics.Requests.WithLabels($"/{Service}/{method}", nameof(StatusCode.InvalidArgument)).Value;

        var exception = await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument, () => SendAsync(server.Channel, method, type, Convert.FromHexString(hex.Replace(" ", ""))));

        Assert.Contains("not a valid bertig.v1.", exception.Status.Detail);
        var correlationId = exception.Trailers.GetValue("bertig-correlation-id");
        Assert.False(string.IsNullOrEmpty(correlationId));
        Assert.Contains(correlationId, exception.Status.Detail);
        Assert.Equal(counted + 1, server.Metrics.Requests.WithLabels($"/{Service}/{method}", nameof(StatusCode.InvalidArgument)).Value);
        // At most one line (the warning is rate-limited), at warning level and without a stack trace.
        var logged = server.Logs.Entries.Where(e => e.Message.Contains(correlationId, StringComparison.Ordinal)).ToList();
        Assert.InRange(logged.Count, 0, 1);
        Assert.All(logged, e => Assert.Equal((LogLevel.Warning, (Exception?)null), (e.Level, e.Exception)));
        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 206 && e.Level == LogLevel.Warning && e.Exception is null);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error || (e.Exception is not null && e.Level >= LogLevel.Information && e.Category.StartsWith("Grpc", StringComparison.Ordinal)));
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task GrpcWeb_MalformedBytes_ReturnsInvalidArgumentWithCorrelationId()
    {
        using var channel = GrpcChannel.ForAddress(server.HttpAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, new HttpClientHandler()),
            HttpVersion = HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });

        var exception = await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument, () => SendAsync(channel, "Predict", MethodType.Unary, [0x12, 0x02, 0xff, 0xfe]));

        Assert.False(string.IsNullOrEmpty(exception.Trailers.GetValue("bertig-correlation-id")));
    }

    [Fact]
    public async Task Fuzz_RandomAndMutatedMessages_OnlyExpectedStatusesAndServerStaysHealthy()
    {
        var random = new Random(20261204);
        var seeds = new (string Method, MethodType Type, byte[] Valid)[]
        {
            ("Predict", MethodType.Unary, new PredictRequest { Texts = { "Great fun.", "Dull." }, Truncate = true }.ToByteArray()),
            ("ExplainUnary", MethodType.Unary, new ExplainUnaryRequest { Text = "Great fun.", NSteps = 1, TargetLabel = "positive" }.ToByteArray()),
            ("Explain", MethodType.ServerStreaming, new ExplainRequest { Text = "Dull.", NSteps = 1, Baseline = Contracts.V1.Baseline.Mask }.ToByteArray()),
            ("ListModels", MethodType.Unary, new ListModelsRequest().ToByteArray()),
        };

        var cases = new List<(string Method, MethodType Type, byte[] Body)>();
        for (var i = 0; i < 2000; i++)
        {
            var (method, type, valid) = seeds[i % seeds.Length];
            cases.Add((method, type, (i / seeds.Length % 4) switch
            {
                0 => RandomBytes(random, random.Next(1, 64)),
                1 => valid[..random.Next(0, Math.Max(1, valid.Length))],       // truncated
                2 => Mutate(random, valid, flips: 1),
                _ => Mutate(random, valid, flips: random.Next(2, 6)),
            }));
        }

        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<StatusCode, int>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = timeout.Token }, async (c, _) =>
        {
            StatusCode code;
            try
            {
                await SendAsync(server.Channel, c.Method, c.Type, c.Body);
                code = StatusCode.OK;
            }
            catch (RpcException ex)
            {
                code = ex.StatusCode;
                Assert.True(code is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.ResourceExhausted,
                    $"{c.Method} with {Convert.ToHexString(c.Body)} got {code}: {ex.Status.Detail}");
            }

            statuses.AddOrUpdate(code, 1, (_, n) => n + 1);
        });

        output.WriteLine(string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.GetValueOrDefault(StatusCode.InvalidArgument) > 100);
        Assert.True(statuses.GetValueOrDefault(StatusCode.OK) > 10);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error);
        await server.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        await server.AssertServingAsync();
        Assert.Single((await server.Client.PredictAsync(new PredictRequest { Texts = { "Still fine." } })).Predictions);
    }

    [Fact]
    public async Task Predict_ModelNameWithNewlineAndAnsiEscape_NeverReachesTheLogRaw()
    {
        const string forged = "x\ninfo: BertIgGrpc.Server[102] FORGED all models loaded\u001b[31m";

        await RpcAssert.ThrowsAsync(StatusCode.NotFound,
            () => server.Client.PredictAsync(new PredictRequest { Model = forged, Texts = { "fine" } }).ResponseAsync);

        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains('\n') && e.Message.Contains("FORGED", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains('\u001b'));
        Assert.Equal("x\\u000ainfo: FORGED\\u001b[31m", Infrastructure.LogText.Escape("x\ninfo: FORGED\u001b[31m"));
    }

    private static async Task SendAsync(GrpcChannel channel, string name, MethodType type, byte[] body)
    {
        var method = new Method<byte[], byte[]>(type, Service, name, Raw, Raw);
        if (type == MethodType.Unary)
        {
            await channel.CreateCallInvoker().AsyncUnaryCall(method, null, default, body);
            return;
        }

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(method, null, default, body);
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] valid, int flips)
    {
        var bytes = valid.ToArray();
        for (var i = 0; i < flips && bytes.Length > 0; i++)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return bytes;
    }
}
