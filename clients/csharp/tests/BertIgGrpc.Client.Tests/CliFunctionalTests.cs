using BertIgGrpc.Contracts.V1;
using Google.Protobuf;

namespace BertIgGrpc.Client.Tests;

/// <summary>The `bertig` command line, run in-process against the real server.</summary>
[Collection(RealServerCollection.Name)]
public sealed class CliFunctionalTests(RealServer server)
{
    [Fact]
    public async Task Explain_HtmlOption_WritesEscapedCaptumPage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bertig-{Guid.NewGuid():N}.html");
        try
        {
            var (code, output) = await CliRunner.RunAsync(
                "explain", "This movie is superb", "--html", path, "--server", server.GrpcAddress.ToString());

            Assert.True(code == 0, output);
            Assert.Contains("superb", output, StringComparison.Ordinal);
            var html = await File.ReadAllTextAsync(path);
            Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
            Assert.Contains(">superb</mark>", html, StringComparison.Ordinal);
            Assert.Contains("Convergence Delta", html, StringComparison.Ordinal);
            Assert.Contains("positive (", html, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Explain_JsonOption_PrintsParsableResult()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", "This movie is superb", "--json", "--steps", "20", "--method", "riemann_trapezoid", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, output);
        var result = JsonParser.Default.Parse<ExplainResult>(output);
        Assert.Equal(IntegrationMethod.RiemannTrapezoid, result.Method);
        Assert.Equal(20, result.NSteps);
        Assert.NotEmpty(result.Tokens);
    }

    [Fact]
    public async Task Predict_Texts_PrintsLabels()
    {
        var (code, output) = await CliRunner.RunAsync(
            "predict", "This movie is superb", "This movie is terrible", "--json", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, output);
        var response = JsonParser.Default.Parse<PredictResponse>(output);
        Assert.Equal(["positive", "negative"], response.Predictions.Select(p => p.Label));
    }

    [Fact]
    public async Task Models_Default_ListsDefaultModel()
    {
        var (code, output) = await CliRunner.RunAsync("models", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, output);
        Assert.Contains("minilm-sentiment", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_UnknownTargetLabel_ReturnsInvalidRequestCode()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", "This movie is superb", "--target", "neutral", "--server", server.GrpcAddress.ToString());

        Assert.Equal(2, code);
        Assert.Contains("rejected by the server", output, StringComparison.Ordinal);
        Assert.Contains("target_label", output, StringComparison.Ordinal);
    }
}
