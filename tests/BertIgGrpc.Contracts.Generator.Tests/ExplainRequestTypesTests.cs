using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Contracts.Validation;

namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>
/// Explain and ExplainUnary each have their own request type (buf lint), carrying the same flat fields; these tests hold
/// the two in step: the same declarations (numbers, types, oneof, rule annotations) and the same generated validation.
/// </summary>
public sealed class ExplainRequestTypesTests
{
    [Fact]
    public void ExplainUnaryRequest_Declaration_EqualsExplainRequestButForItsName()
    {
        var streaming = ExplainRequest.Descriptor.ToProto();
        var unary = ExplainUnaryRequest.Descriptor.ToProto();

        Assert.Equal("ExplainUnaryRequest", unary.Name);
        unary.Name = streaming.Name;
        Assert.Equal(streaming, unary);
    }

    [Fact]
    public void ExplainUnaryRequest_GeneratedRules_SameLimits()
    {
        Assert.Equal(ExplainRequest.Rules.TextMaxBytes, ExplainUnaryRequest.Rules.TextMaxBytes);
        Assert.Equal(ExplainRequest.Rules.NStepsLte, ExplainUnaryRequest.Rules.NStepsLte);
        Assert.Equal(ExplainRequest.Rules.ToleranceLt, ExplainUnaryRequest.Rules.ToleranceLt);
    }

    [Theory]
    [InlineData("text blank")]
    [InlineData("n_steps over")]
    [InlineData("method undefined")]
    [InlineData("baseline undefined")]
    [InlineData("target_label blank")]
    [InlineData("all of them")]
    public void ExplainUnaryRequest_BrokenRules_SameViolationsAsExplainRequest(string broken)
    {
        var request = new ExplainRequest { Text = "A fine film." };
        Action<ExplainRequest> breakIt = broken switch
        {
            "text blank" => r => r.Text = " ",
            "n_steps over" => r => r.NSteps = ExplainRequest.Rules.NStepsLte + 1,
            "method undefined" => r => r.Method = (IntegrationMethod)99,
            "baseline undefined" => r => r.Baseline = (Baseline)99,
            "target_label blank" => r => r.TargetLabel = "",
            _ => r => { r.Text = ""; r.NSteps = -1; r.Method = (IntegrationMethod)99; r.Baseline = (Baseline)99; r.Tolerance = 1; },
        };
        breakIt(request);

        var expected = request.Validate();
        var actual = request.ToUnaryRequest().Validate();

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(v => (v.Field, v.Description)), actual.Select(v => (v.Field, v.Description)));
    }

    [Fact]
    public void UnspecifiedEnums_AreValid()
    {
        IValidatableMessage[] requests =
        [
            new ExplainRequest { Text = "x", Method = IntegrationMethod.Unspecified, Baseline = Baseline.Unspecified },
            new ExplainUnaryRequest { Text = "x", Method = IntegrationMethod.Unspecified, Baseline = Baseline.Unspecified },
        ];

        Assert.All(requests, r => Assert.Empty(r.Validate()));
    }
}
