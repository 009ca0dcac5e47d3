using System.Text;
using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Contracts.Validation;

namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>Behaviour of the Validate() methods generated into the real BertIgGrpc.Contracts build.</summary>
public sealed class ContractValidationTests
{
    private static ExplainRequest ValidExplain() => new()
    {
        Model = "sst2",
        Text = "A gripping, funny film.",
        NSteps = 50,
        Method = IntegrationMethod.GaussLegendre,
        Baseline = Baseline.Pad,
        InternalBatchSize = 16,
        Tolerance = 0.05,
        MaxSteps = 512,
        TargetLabel = "POSITIVE",
    };

    private static string[] Fields(IValidatableMessage message) => [.. message.Validate().Select(v => v.Field)];

    [Fact]
    public void ExplainRequest_Valid_HasNoViolations()
    {
        Assert.Empty(ValidExplain().Validate());
        Assert.Empty(new ExplainRequest { Text = "x" }.Validate());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public void ExplainRequest_BlankText_ReportsText(string text)
    {
        var request = ValidExplain();
        request.Text = text;

        var violation = Assert.Single(request.Validate());
        Assert.Equal(new FieldViolation("text", "text must not be empty or whitespace"), violation);
    }

    [Fact]
    public void ExplainRequest_TextSize_LimitedInUtf8Bytes()
    {
        var request = ValidExplain();
        request.Text = new string('a', 64 * 1024);
        Assert.Empty(request.Validate());

        request.Text = new string('a', ExplainRequest.Rules.TextMaxBytes);
        Assert.Empty(request.Validate());

        request.Text = new string('a', 262145);
        Assert.Equal(new FieldViolation("text", "text must be at most 262144 bytes in UTF-8 (got 262145)"), Assert.Single(request.Validate()));

        // 100,000 characters but 300,000 bytes: the limit is on bytes, not characters.
        request.Text = new string('\u20ac', 100_000);
        Assert.Equal(300_000, Encoding.UTF8.GetByteCount(request.Text));
        Assert.Equal(["text"], Fields(request));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2048)]
    public void ExplainRequest_NStepsInRangeOrZero_Accepted(int steps)
    {
        var request = ValidExplain();
        request.NSteps = steps;

        Assert.Empty(request.Validate());
    }

    [Theory]
    [InlineData(2049)]
    [InlineData(-1)]
    [InlineData(5000)]
    public void ExplainRequest_NStepsOutOfRange_ReportsNSteps(int steps)
    {
        var request = ValidExplain();
        request.NSteps = steps;

        var violation = Assert.Single(request.Validate());
        Assert.Equal("n_steps", violation.Field);
        Assert.Equal($"n_steps must be between 1 and 2048 (got {steps})", violation.Description);
    }

    [Fact]
    public void ExplainRequest_InternalBatchSizeOverLimit_Reported()
    {
        var request = ValidExplain();
        request.InternalBatchSize = 1024;
        Assert.Empty(request.Validate());

        request.InternalBatchSize = 1025;
        Assert.Equal(
            new FieldViolation("internal_batch_size", "internal_batch_size must be between 0 and 1024 (got 1025)"),
            Assert.Single(request.Validate()));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void ExplainRequest_ToleranceOutsideHalfOpenRange_ReportsTolerance(double tolerance)
    {
        var request = ValidExplain();
        request.Tolerance = tolerance;

        var violation = Assert.Single(request.Validate());
        Assert.Equal("tolerance", violation.Field);
        Assert.StartsWith("tolerance must be at least 0 and less than 1 (got ", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void ExplainRequest_ToleranceJustBelowOne_Accepted()
    {
        var request = ValidExplain();
        request.Tolerance = 0.999;

        Assert.Empty(request.Validate());
    }

    [Fact]
    public void ExplainRequest_UndefinedEnums_ReportMethodAndBaseline()
    {
        var request = ValidExplain();
        request.Method = (IntegrationMethod)99;
        request.Baseline = (Baseline)(-3);

        Assert.Equal(
            [
                new FieldViolation("method", "method must be one of INTEGRATION_METHOD_UNSPECIFIED, INTEGRATION_METHOD_GAUSS_LEGENDRE, "
                    + "INTEGRATION_METHOD_RIEMANN_LEFT, INTEGRATION_METHOD_RIEMANN_RIGHT, INTEGRATION_METHOD_RIEMANN_MIDDLE, "
                    + "INTEGRATION_METHOD_RIEMANN_TRAPEZOID (got 99)"),
                new FieldViolation("baseline", "baseline must be one of BASELINE_UNSPECIFIED, BASELINE_PAD, BASELINE_MASK, BASELINE_UNK, BASELINE_ZERO (got -3)"),
            ],
            request.Validate());
    }

    [Fact]
    public void ExplainRequest_TargetRules_ApplyOnlyToTheSetMember()
    {
        var request = ValidExplain();
        request.TargetIndex = 70000;
        Assert.Equal(
            new FieldViolation("target_index", "target_index must be between 0 and 65535 (got 70000)"),
            Assert.Single(request.Validate()));

        // target_label is not set now, so its pattern (\S, not blank) rule does not fire; setting it blank does.
        request.TargetLabel = " ";
        Assert.Equal(["target_label"], Fields(request));
        request.ClearTarget();
        Assert.Empty(request.Validate());
    }

    [Fact]
    public void ExplainRequest_SeveralBrokenRules_AllReported()
    {
        var request = new ExplainRequest
        {
            Model = new string('m', 129),
            Text = "",
            NSteps = 2049,
            MaxSteps = -5,
            Tolerance = 2,
        };

        Assert.Equal(["model", "text", "n_steps", "tolerance", "max_steps"], Fields(request));
    }

    [Fact]
    public void PredictRequest_Valid_HasNoViolations()
    {
        var request = new PredictRequest { Model = "sst2" };
        request.Texts.Add(["good", "bad"]);

        Assert.Empty(request.Validate());
    }

    [Fact]
    public void PredictRequest_NoTexts_ReportsTexts()
    {
        Assert.Equal(
            new FieldViolation("texts", "texts must have at least 1 item (got 0)"),
            Assert.Single(new PredictRequest().Validate()));
    }

    [Fact]
    public void PredictRequest_TooManyTexts_ReportsTexts()
    {
        var request = new PredictRequest();
        request.Texts.Add(Enumerable.Repeat("ok", PredictRequest.Rules.TextsMaxItems));
        Assert.Empty(request.Validate());

        request.Texts.Add("one more");
        Assert.Equal(
            new FieldViolation("texts", "texts must have at most 256 items (got 257)"),
            Assert.Single(request.Validate()));
    }

    [Fact]
    public void PredictRequest_BlankAndOversizedItems_ReportedWithIndex()
    {
        var request = new PredictRequest();
        request.Texts.Add(["fine", " ", "also fine", new string('x', 262145)]);

        Assert.Equal(
            [
                new FieldViolation("texts[1]", "texts[1] must not be empty or whitespace"),
                new FieldViolation("texts[3]", "texts[3] must be at most 262144 bytes in UTF-8 (got 262145)"),
            ],
            request.Validate());
    }

    [Fact]
    public void LimitConstants_MatchTheProto()
    {
        Assert.Equal(262144, ExplainRequest.Rules.TextMaxBytes);
        Assert.Equal(128, ExplainRequest.Rules.ModelMaxLen);
        Assert.Equal(1, ExplainRequest.Rules.NStepsGte);
        Assert.Equal(2048, ExplainRequest.Rules.NStepsLte);
        Assert.Equal(1024, ExplainRequest.Rules.InternalBatchSizeLte);
        Assert.Equal(1.0, ExplainRequest.Rules.ToleranceLt);
        Assert.Equal(256, PredictRequest.Rules.TextsMaxItems);
        Assert.IsAssignableFrom<IValidatableMessage>(new PredictRequest());
    }
}
