using BertIgGrpc.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace BertIgGrpc.Client.Tests;

/// <summary>The client's own behaviour over the real gRPC stack, with the network replaced by <see cref="RecordingHandler"/>.</summary>
public sealed class ClientBehaviourTests
{
    private static (ServiceProvider Provider, RecordingHandler Handler) Build(Grpc.Core.StatusCode answer, int maxAttempts = 3)
    {
        var handler = new RecordingHandler(answer);
        return (Provider(handler, maxAttempts), handler);
    }

    private static (ServiceProvider Provider, ClosingConnectionHandler Handler) BuildClosing(int closing, long http2ErrorCode, Grpc.Core.StatusCode then, int maxAttempts)
    {
        var handler = new ClosingConnectionHandler(closing, http2ErrorCode, new RecordingHandler(then));
        return (Provider(handler, maxAttempts), handler);
    }

    /// <summary>The client's services over <paramref name="handler"/> in place of the network, with short backoffs.</summary>
    private static ServiceProvider Provider(HttpMessageHandler handler, int maxAttempts)
    {
        var services = new ServiceCollection();
        services.AddBertIgClient(o =>
            {
                o.Address = new Uri("http://bertig.invalid:50051");
                o.MaxAttempts = maxAttempts;
                o.InitialBackoff = TimeSpan.FromMilliseconds(5);
                o.MaxBackoff = TimeSpan.FromMilliseconds(20);
            })
            .ConfigurePrimaryHttpMessageHandler(() => handler);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task ExplainAsync_BlankText_ThrowsValidationExceptionBeforeNetwork()
    {
        var (provider, handler) = Build(Grpc.Core.StatusCode.Unavailable);
        await using var _ = provider;
        var client = provider.GetRequiredService<BertIgClient>();

        var ex = await Assert.ThrowsAsync<BertIgValidationException>(() => client.ExplainAsync("   "));

        Assert.Contains(ex.Violations, v => v.Field == "text");
        Assert.False(ex.IsFromServer);
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public async Task StreamExplain_StepsOutOfRange_ThrowsWhenCalledBeforeNetwork()
    {
        var (provider, handler) = Build(Grpc.Core.StatusCode.Unavailable);
        await using var _ = provider;
        var client = provider.GetRequiredService<BertIgClient>();

        var ex = Assert.Throws<BertIgValidationException>(() => client.StreamExplain("fine text", new ExplainOptions { Steps = 5000 }));

        Assert.Contains(ex.Violations, v => v.Field == "n_steps");
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public async Task PredictAsync_BlankItem_ThrowsValidationExceptionNamingIndex()
    {
        var (provider, handler) = Build(Grpc.Core.StatusCode.Unavailable);
        await using var _ = provider;
        var client = provider.GetRequiredService<BertIgClient>();

        var ex = await Assert.ThrowsAsync<BertIgValidationException>(() => client.PredictAsync(["good", " "]));

        Assert.Contains(ex.Violations, v => v.Field.StartsWith("texts", StringComparison.Ordinal));
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public void ToRequest_TargetIndexAndLabel_ThrowsValidationExceptionNamingTarget()
    {
        var options = new ExplainOptions { TargetIndex = 1, TargetLabel = "positive" };

        var ex = Assert.Throws<BertIgValidationException>(() => options.ToRequest("text"));

        Assert.Equal("target", Assert.Single(ex.Violations).Field);
    }

    [Fact]
    public void ToRequest_AllOptions_MapsToProtoFields()
    {
        var request = new ExplainOptions
        {
            Model = "m",
            TargetLabel = "positive",
            Steps = 32,
            Method = IntegrationMethod.RiemannTrapezoid,
            Baseline = Baseline.Mask,
            MultiplyByInputs = false,
            Truncate = true,
        }.ToRequest("t");

        Assert.Equal(("m", "t", 32, IntegrationMethod.RiemannTrapezoid, Baseline.Mask, true), (request.Model, request.Text, request.NSteps, request.Method, request.Baseline, request.Truncate));
        Assert.Equal(ExplainRequest.TargetOneofCase.TargetLabel, request.TargetCase);
        Assert.Equal("positive", request.TargetLabel);
        Assert.True(request.HasMultiplyByInputs);
        Assert.False(request.MultiplyByInputs);
    }

    [Fact]
    public void ToRequest_NoOptions_LeavesMethodAndBaselineToTheServer()
    {
        var request = new ExplainOptions().ToRequest("t");

        Assert.Equal((IntegrationMethod.Unspecified, Baseline.Unspecified, 0), (request.Method, request.Baseline, request.NSteps));
    }

    [Fact]
    public void ToUnaryRequest_SameOptions_SameFieldsAsTheStreamingRequest()
    {
        var options = new ExplainOptions { Model = "m", TextPair = "p", TargetIndex = 0, Steps = 7, Method = IntegrationMethod.RiemannLeft, Baseline = Baseline.Zero, Tolerance = 0.1, MaxSteps = 99, MultiplyByInputs = true };

        var unary = options.ToUnaryRequest("t");
        var streaming = options.ToRequest("t");

        Assert.Equal(streaming.ToByteArray(), unary.ToByteArray());
        Assert.Equal(unary, streaming.ToUnaryRequest());
        Assert.True(unary.HasTargetIndex);
    }

    [Fact]
    public async Task ListModelsAsync_ServerUnavailable_RetriesUpToMaxAttempts()
    {
        var (provider, handler) = Build(Grpc.Core.StatusCode.Unavailable, maxAttempts: 4);
        await using var _ = provider;
        var client = provider.GetRequiredService<BertIgClient>();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync());

        Assert.Equal(Grpc.Core.StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(4, handler.Requests);
    }

    [Fact]
    public async Task ListModelsAsync_Internal_IsNotRetried()
    {
        var (provider, handler) = Build(Grpc.Core.StatusCode.Internal, maxAttempts: 4);
        await using var _ = provider;
        var client = provider.GetRequiredService<BertIgClient>();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync());

        Assert.Equal(Grpc.Core.StatusCode.Internal, ex.StatusCode);
        Assert.Equal(1, handler.Requests);
    }

    [Theory]
    // A server shutting down (GOAWAY NO_ERROR) as the call starts: grpc-dotnet says INTERNAL, the client tries again
    // and gets the second attempt's answer.
    [InlineData(1, 0L, Grpc.Core.StatusCode.NotFound, 2)]
    // Closed gracefully on every attempt: gives up after MaxAttempts (3).
    [InlineData(int.MaxValue, 0L, Grpc.Core.StatusCode.Internal, 3)]
    // PROTOCOL_ERROR (1) is a real fault, not a shutdown: INTERNAL stands, not retried.
    [InlineData(1, 1L, Grpc.Core.StatusCode.Internal, 1)]
    public async Task ListModelsAsync_ConnectionClosedAsTheCallStarts_TriedAgainOnlyWhenGraceful(
        int closing, long http2ErrorCode, Grpc.Core.StatusCode expected, int requests)
    {
        var (provider, handler) = BuildClosing(closing, http2ErrorCode, then: Grpc.Core.StatusCode.NotFound, maxAttempts: 3);
        await using var _ = provider;
        var client = provider.GetRequiredService<BertIgClient>();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ListModelsAsync());

        Assert.Equal(expected, ex.StatusCode);
        Assert.Equal(requests, handler.Requests);
    }

    [Fact]
    public void FromRpcException_BadRequestDetail_CarriesFieldViolations()
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = "invalid request",
            Details =
            {
                Any.Pack(new BadRequest
                {
                    FieldViolations =
                    {
                        new BadRequest.Types.FieldViolation { Field = "text", Description = "must not be blank" },
                        new BadRequest.Types.FieldViolation { Field = "n_steps", Description = "must be <= 2048" },
                    },
                }),
            },
        };

        var ex = BertIgValidationException.FromRpcException(status.ToRpcException());

        Assert.True(ex.IsFromServer);
        Assert.Equal(["text", "n_steps"], ex.Violations.Select(v => v.Field));
        Assert.Contains("must not be blank", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromRpcException_NoDetails_KeepsStatusMessage()
    {
        var rpc = new RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.InvalidArgument, "unknown label 'x'"));

        var ex = BertIgValidationException.FromRpcException(rpc);

        Assert.Empty(ex.Violations);
        Assert.Contains("unknown label 'x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureValid_ZeroAttempts_ThrowsNamingProperty()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BertIgClientOptions { MaxAttempts = 0 }.EnsureValid());

        Assert.Equal(nameof(BertIgClientOptions.MaxAttempts), ex.ParamName);
    }
}
