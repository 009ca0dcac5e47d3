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
                "explain", "This movie is superb", "--html", path, "--all-targets", "--faithfulness", "--server", server.GrpcAddress.ToString());

            Assert.True(code == 0, server.Explain(output));
            Assert.Contains("superb", output, StringComparison.Ordinal);
            var html = await File.ReadAllTextAsync(path);
            Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
            Assert.Contains(">superb</mark>", html, StringComparison.Ordinal);
            Assert.Contains("Convergence Delta", html, StringComparison.Ordinal);
            Assert.Contains("positive (", html, StringComparison.Ordinal);

            // --all-targets: a highlighted row per class (main row + one per class), the per-class table; --faithfulness: its table.
            Assert.Contains("<h3>Highlighted text per class</h3>", html, StringComparison.Ordinal);
            Assert.Contains("<td><b>negative</b></td><td class=\"words\">", html, StringComparison.Ordinal);
            Assert.Contains("<td><b>positive *</b></td><td class=\"words\">", html, StringComparison.Ordinal);
            Assert.Equal(3, html.Split(">superb</mark>").Length - 1);
            Assert.Contains("<h3>Attributions per class (all targets)</h3>", html, StringComparison.Ordinal);
            Assert.Contains("<h3>Faithfulness (ERASER)</h3>", html, StringComparison.Ordinal);
            Assert.Matches(@"<td class=""num"">AOPC</td><td class=""num""></td>(<td class=""num"">-?\d\.\d{4}</td>){4}", html);
            Assert.Contains("<p class=\"meta\">Verdict: ", html, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [ChromiumFact]
    public async Task Explain_HtmlOption_PageRendersInChromium()
    {
        var dir = Directory.CreateTempSubdirectory("bertig-html-").FullName;
        try
        {
            var html = Path.Combine(dir, "out.html");
            var png = Path.Combine(dir, "out.png");
            var (code, output) = await CliRunner.RunAsync(
                "explain", "This movie is superb", "--html", html, "--server", server.GrpcAddress.ToString());
            Assert.True(code == 0, server.Explain(output));

            var dom = await Chromium.DumpDomAsync(html);
            await Chromium.ScreenshotAsync(html, png);

            Assert.Contains(">superb</mark>", dom, StringComparison.Ordinal);
            Assert.Contains("<th>Convergence Delta</th>", dom, StringComparison.Ordinal);
            var bytes = await File.ReadAllBytesAsync(png);
            Assert.True(bytes.Length > 5_000, $"screenshot is only {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Explain_JsonOption_PrintsParsableResult()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", "This movie is superb", "--json", "--steps", "20", "--method", "riemann_trapezoid", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
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

        Assert.True(code == 0, server.Explain(output));
        var response = JsonParser.Default.Parse<PredictResponse>(output);
        Assert.Equal(["positive", "negative"], response.Predictions.Select(p => p.Label));
    }

    [Fact]
    public async Task Models_Default_ListsDefaultModel()
    {
        var (code, output) = await CliRunner.RunAsync("models", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
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
