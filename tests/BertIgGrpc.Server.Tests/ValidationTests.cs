using BertIgGrpc.Contracts.V1;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

/// <summary>Every rule declared in protos/bertig/v1/explainer.proto rejects with a field violation on its field.</summary>
[Collection(ServerCollection.Name)]
public sealed class ValidationTests(ServerFixture server)
{
    private const string Text = "A perfectly fine sentence.";
    private static readonly string OverByteLimit = new('a', 256 * 1024 + 1);

    private static readonly Dictionary<string, Action<IExplainParameters>> ExplainCases = new()
    {
        ["text empty"] = r => r.Text = "",
        ["text whitespace only"] = r => r.Text = " \t\n ",
        ["text over 256 KiB"] = r => r.Text = OverByteLimit,
        ["text_pair over 256 KiB"] = r => r.TextPair = OverByteLimit,
        ["model over 128 chars"] = r => r.Model = new string('m', 129),
        ["target_index negative"] = r => r.TargetIndex = -1,
        ["target_index over 65535"] = r => r.TargetIndex = 65536,
        ["target_label blank"] = r => r.TargetLabel = "   ",
        ["target_label over 256 chars"] = r => r.TargetLabel = new string('l', 257),
        ["n_steps negative"] = r => r.NSteps = -1,
        ["n_steps over 2048"] = r => r.NSteps = 2049,
        ["method undefined"] = r => r.Method = (IntegrationMethod)99,
        ["baseline undefined"] = r => r.Baseline = (Baseline)99,
        ["internal_batch_size negative"] = r => r.InternalBatchSize = -1,
        ["internal_batch_size over 1024"] = r => r.InternalBatchSize = 1025,
        ["tolerance negative"] = r => r.Tolerance = -0.1,
        ["tolerance one"] = r => r.Tolerance = 1.0,
        ["max_steps negative"] = r => r.MaxSteps = -1,
        ["max_steps over 2048"] = r => r.MaxSteps = 2049,
    };

    private static readonly Dictionary<string, Action<PredictRequest>> PredictCases = new()
    {
        ["texts empty"] = r => { },
        ["texts over 256 items"] = r => r.Texts.AddRange(Enumerable.Repeat(Text, 257)),
        ["texts item blank"] = r => r.Texts.AddRange([Text, "  "]),
        ["texts item over 256 KiB"] = r => r.Texts.Add(OverByteLimit),
        ["model over 128 chars"] = r => { r.Texts.Add(Text); r.Model = new string('m', 129); },
    };

    [Theory]
    [InlineData("text empty", "text")]
    [InlineData("text whitespace only", "text")]
    [InlineData("text over 256 KiB", "text")]
    [InlineData("text_pair over 256 KiB", "text_pair")]
    [InlineData("model over 128 chars", "model")]
    [InlineData("target_index negative", "target_index")]
    [InlineData("target_index over 65535", "target_index")]
    [InlineData("target_label blank", "target_label")]
    [InlineData("target_label over 256 chars", "target_label")]
    [InlineData("n_steps negative", "n_steps")]
    [InlineData("n_steps over 2048", "n_steps")]
    [InlineData("method undefined", "method")]
    [InlineData("baseline undefined", "baseline")]
    [InlineData("internal_batch_size negative", "internal_batch_size")]
    [InlineData("internal_batch_size over 1024", "internal_batch_size")]
    [InlineData("tolerance negative", "tolerance")]
    [InlineData("tolerance one", "tolerance")]
    [InlineData("max_steps negative", "max_steps")]
    [InlineData("max_steps over 2048", "max_steps")]
    public async Task ExplainBoth_BrokenRule_ReturnsFieldViolation(string rule, string field)
    {
        // Both RPCs' request types carry the same rules (generated Validate() for each).
        var unary = new ExplainUnaryRequest { Text = Text };
        ExplainCases[rule](unary);
        var streaming = new ExplainRequest { Text = Text };
        ExplainCases[rule](streaming);

        await RpcAssert.InvalidFieldAsync(field, () => server.Client.ExplainUnaryAsync(unary).ResponseAsync);
        using var call = server.Client.Explain(streaming);
        await RpcAssert.InvalidFieldAsync(field, () => call.ResponseStream.MoveNext());
        await server.AssertServingAsync();
    }

    [Theory]
    [InlineData("texts empty", "texts")]
    [InlineData("texts over 256 items", "texts")]
    [InlineData("texts item blank", "texts")]
    [InlineData("texts item over 256 KiB", "texts")]
    [InlineData("model over 128 chars", "model")]
    public async Task Predict_BrokenRule_ReturnsFieldViolation(string rule, string field)
    {
        var request = new PredictRequest();
        PredictCases[rule](request);

        await RpcAssert.InvalidFieldAsync(field, () => server.Client.PredictAsync(request).ResponseAsync);
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task Explain_BrokenRule_ReturnsFieldViolationOnTheStream()
    {
        using var call = server.Client.Explain(new ExplainRequest { Text = "", NSteps = 4 });

        await RpcAssert.InvalidFieldAsync("text", () => call.ResponseStream.MoveNext());
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task ExplainUnary_SeveralBrokenRules_ReportsEveryField()
    {
        var exception = await RpcAssert.ThrowsAsync(StatusCode.InvalidArgument,
            () => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = "", NSteps = 5000, Tolerance = 2 }).ResponseAsync);

        var fields = RpcAssert.FieldViolations(exception).Select(v => v.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "text", "n_steps", "tolerance" }, fields);
        Assert.All(fields, f => Assert.Contains(f, exception.Status.Detail));
        await server.AssertServingAsync();
    }

    [Fact]
    public async Task ExplainUnary_ValidBoundaryValues_AreAccepted()
    {
        var result = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest
        {
            Text = Text,
            NSteps = 1,
            InternalBatchSize = 1024,
            TargetIndex = 0,
            Baseline = Baseline.Zero,
        })).Result;

        Assert.Equal(1, result.NSteps);
        Assert.Equal(0, result.TargetIndex);
        Assert.Equal(Baseline.Zero, result.Baseline);
    }
}
