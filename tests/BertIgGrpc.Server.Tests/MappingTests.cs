using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Server.Grpc;
using Google.Protobuf;
using Grpc.Core;
using EngineAttribution = BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Server.Tests;

public sealed class MappingTests
{
    [Fact]
    public void ToEngine_ZeroValues_UseContractDefaults()
    {
        var options = ExplainerService.ToEngine(new ExplainRequest { Text = "hi" });

        Assert.Equal("hi", options.Text);
        Assert.Null(options.TextPair);
        Assert.Null(options.TargetIndex);
        Assert.Null(options.TargetLabel);
        Assert.Equal(50, options.Steps);
        Assert.Equal(2048, options.MaxSteps);
        Assert.True(options.MultiplyByInputs);
        Assert.Equal(EngineAttribution.IntegrationMethod.GaussLegendre, options.Method);
        Assert.Equal(EngineAttribution.BaselineKind.Pad, options.Baseline);
        Assert.Equal(0, options.InternalBatchSize);
        Assert.False(options.Truncate);
    }

    [Fact]
    public void ToEngine_UnspecifiedEnums_SelectTheEngineDefaultsAndResultsNameThem()
    {
        var options = ExplainerService.ToEngine(new ExplainUnaryRequest { Text = "hi", Method = IntegrationMethod.Unspecified, Baseline = Baseline.Unspecified });

        Assert.Equal(new EngineAttribution.ExplainRequestOptions { Text = "hi" }.Method, options.Method);
        Assert.Equal(new EngineAttribution.ExplainRequestOptions { Text = "hi" }.Baseline, options.Baseline);
        // A result reports what was used, never UNSPECIFIED.
        Assert.Equal(IntegrationMethod.GaussLegendre, ExplainerService.ToProto(options.Method));
        Assert.Equal(Baseline.Pad, ExplainerService.ToProto(options.Baseline));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ToEngine_SetValues_AreCarriedOver(bool unary)
    {
        IExplainParameters request = unary ? new ExplainUnaryRequest() : new ExplainRequest();
        var options = ExplainerService.ToEngine(Fill(request, new ExplainRequest
        {
            Text = "a",
            TextPair = "b",
            TargetLabel = "positive",
            NSteps = 7,
            Method = IntegrationMethod.RiemannRight,
            Baseline = Baseline.Mask,
            InternalBatchSize = 3,
            Tolerance = 0.01,
            MaxSteps = 300,
            MultiplyByInputs = false,
            Truncate = true,
        }));

        Assert.Equal("b", options.TextPair);
        Assert.Equal("positive", options.TargetLabel);
        Assert.Null(options.TargetIndex);
        Assert.Equal(7, options.Steps);
        Assert.Equal(EngineAttribution.IntegrationMethod.RiemannRight, options.Method);
        Assert.Equal(EngineAttribution.BaselineKind.Mask, options.Baseline);
        Assert.Equal(3, options.InternalBatchSize);
        Assert.Equal(0.01, options.Tolerance);
        Assert.Equal(300, options.MaxSteps);
        Assert.False(options.MultiplyByInputs);
        Assert.True(options.Truncate);
    }

    [Fact]
    public void ToEngine_TargetIndexZero_IsAnExplicitTarget()
    {
        var options = ExplainerService.ToEngine(new ExplainRequest { Text = "a", TargetIndex = 0 });

        Assert.Equal(0, options.TargetIndex);
        Assert.Null(options.TargetLabel);
    }

    [Fact]
    public void ToEngine_UndefinedMethod_ThrowsInvalidArgumentOnMethod()
    {
        var exception = Assert.Throws<RpcException>(() => ExplainerService.ToEngine(new ExplainRequest { Text = "a", Method = (IntegrationMethod)42 }));

        Assert.Equal(StatusCode.InvalidArgument, exception.StatusCode);
        Assert.Equal("method", Assert.Single(RpcAssert.FieldViolations(exception)).Field);
    }

    [Fact]
    public void ToEngine_UndefinedBaseline_ThrowsInvalidArgumentOnBaseline()
    {
        var exception = Assert.Throws<RpcException>(() => ExplainerService.ToEngine(new ExplainUnaryRequest { Text = "a", Baseline = (Baseline)42 }));

        Assert.Equal(StatusCode.InvalidArgument, exception.StatusCode);
        Assert.Equal("baseline", Assert.Single(RpcAssert.FieldViolations(exception)).Field);
    }

    [Theory]
    [InlineData(LongText.Unspecified, false, EngineAttribution.LongTextMode.Reject)]
    [InlineData(LongText.Unspecified, true, EngineAttribution.LongTextMode.Truncate)]
    [InlineData(LongText.Truncate, false, EngineAttribution.LongTextMode.Truncate)]
    [InlineData(LongText.Truncate, true, EngineAttribution.LongTextMode.Truncate)]
    [InlineData(LongText.Windows, false, EngineAttribution.LongTextMode.Windows)]
    public void ToEngine_LongTextAndItsTruncateAlias_SelectOneMode(LongText longText, bool truncate, EngineAttribution.LongTextMode expected)
    {
        var options = ExplainerService.ToEngine(new ExplainRequest { Text = "a", LongText = longText, Truncate = truncate, WindowStride = 64 });

        Assert.Equal(expected, options.LongText);
        Assert.Equal(expected == EngineAttribution.LongTextMode.Truncate, options.Truncate);
        Assert.Equal(64, options.WindowStride);
    }

    [Fact]
    public void ToEngine_WindowsWithTruncate_ThrowsInvalidArgumentOnLongText()
    {
        var exception = Assert.Throws<RpcException>(
            () => ExplainerService.ToEngine(new ExplainUnaryRequest { Text = "a", LongText = LongText.Windows, Truncate = true }));

        Assert.Equal(StatusCode.InvalidArgument, exception.StatusCode);
        Assert.Equal("long_text", Assert.Single(RpcAssert.FieldViolations(exception)).Field);
    }

    [Fact]
    public void ToEngine_AllTargetsAndFaithfulness_AreCarriedOver()
    {
        var options = ExplainerService.ToEngine(new ExplainRequest { Text = "a", AllTargets = true, Faithfulness = true });

        Assert.True(options.AllTargets);
        Assert.True(options.Faithfulness);
        Assert.False(ExplainerService.ToEngine(new ExplainRequest { Text = "a" }).AllTargets);
    }

    [Fact]
    public void Enums_EveryNamedValue_RoundTrips()
    {
        foreach (var method in Enum.GetValues<IntegrationMethod>().Where(m => m != IntegrationMethod.Unspecified))
        {
            Assert.Equal(method, ExplainerService.ToProto(ExplainerService.ToEngine(method)));
        }

        foreach (var baseline in Enum.GetValues<Baseline>().Where(b => b != Baseline.Unspecified))
        {
            Assert.Equal(baseline, ExplainerService.ToProto(ExplainerService.ToEngine(baseline)));
        }
    }

    // Copies every field through the wire: the two request types share their field numbers.
    private static IExplainParameters Fill(IExplainParameters target, ExplainRequest source)
    {
        ((IMessage)target).MergeFrom(source.ToByteString());
        return target;
    }

    [Fact]
    public void ToProto_Explanation_CopiesEveryField()
    {
        var token = new EngineAttribution.TokenAttribution("great", 2307, 4, 9, 0.5, 0.8, 0, false);
        var explanation = new EngineAttribution.Explanation
        {
            Tokens = [new EngineAttribution.TokenAttribution("[CLS]", 101, 0, 0, 0.1, 0.2, 0, true), token],
            Words = [token],
            Prediction = new EngineAttribution.Prediction("positive", 1, 0.9, [-1f, 1f], [0.1f, 0.9f]),
            TargetIndex = 1,
            TargetLabel = "positive",
            ScoreInput = 1.0,
            ScoreBaseline = 0.25,
            ConvergenceDelta = -0.15,
            AttributionSum = 0.6,
            Steps = 20,
            Method = EngineAttribution.IntegrationMethod.RiemannLeft,
            Baseline = EngineAttribution.BaselineKind.Unk,
            Model = "m",
            ExecutionProvider = "CPUExecutionProvider",
            Truncated = true,
            Elapsed = TimeSpan.FromMilliseconds(12.5),
        };

        var result = ExplainerService.ToProto(explanation);

        Assert.Equal(2, result.Tokens.Count);
        Assert.True(result.Tokens[0].Special);
        Assert.Equal(new TokenAttribution { Token = "great", Id = 2307, Start = 4, End = 9, Attribution = 0.5, AttributionNormalized = 0.8 }, result.Words[0]);
        Assert.Equal("positive", result.Prediction.Label);
        Assert.Equal([-1f, 1f], result.Prediction.Logits);
        Assert.Equal([0.1f, 0.9f], result.Prediction.Probabilities);
        Assert.Equal((1, "positive", 1.0, 0.25, -0.15, 0.6), (result.TargetIndex, result.TargetLabel, result.ScoreInput, result.ScoreBaseline, result.ConvergenceDelta, result.AttributionSum));
        Assert.Equal((20, IntegrationMethod.RiemannLeft, Baseline.Unk), (result.NSteps, result.Method, result.Baseline));
        Assert.Equal(("m", "CPUExecutionProvider", true, 12.5), (result.Model, result.ExecutionProvider, result.Truncated, result.ElapsedMs));
    }
}
