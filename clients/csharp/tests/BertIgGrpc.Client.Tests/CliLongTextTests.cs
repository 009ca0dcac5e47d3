using System.Globalization;
using BertIgGrpc.Contracts.V1;
using Google.Protobuf;

namespace BertIgGrpc.Client.Tests;

/// <summary>`bertig explain` and `bertig predict` with texts over the model's token limit (--windows), against the real server.</summary>
[Collection(RealServerCollection.Name)]
public sealed class CliLongTextTests(RealServer server)
{
    /// <summary>About 700 WordPiece tokens, over the default model's 512.</summary>
    public static readonly string LongReview = string.Join(' ', Enumerable.Range(0, 75).Select(i => (i % 3) switch
    {
        0 => "The film opens with a superb long shot of the harbour.",
        1 => "Some scenes drag and the dialogue is clumsy.",
        _ => "The music is lovely and moving.",
    })) + " Unforgettable.";

    [Fact]
    public async Task Explain_LongTextWithWindows_PlainOutputListsWindowsCoveringTheWholeText()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", LongReview, "--windows", "--steps", "4", "--top", "3", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
        var lines = output.Split('\n');
        var title = Array.IndexOf(lines, "Long text: overlapping windows:");
        Assert.True(title > 0, output);
        Assert.Equal(["window", "tokens", "characters", "window", "prediction", "F(x)-F(baseline)", "delta", "steps"], Cells(lines[title + 1]));
        var windows = lines.Skip(title + 2).TakeWhile(l => l.Length > 0 && char.IsWhiteSpace(l[0]) | char.IsDigit(l[0])).Select(Cells).ToList();
        Assert.True(windows.Count >= 2, output);

        // The windows overlap, start at the text's first character and end at its last, each with its own prediction.
        var spans = windows.Select(w => w[2].Split('-').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(0, spans[0][0]);
        Assert.Equal(LongReview.Length, spans[^1][1]);
        for (var i = 1; i < spans.Count; i++)
        {
            Assert.True(spans[i][0] < spans[i - 1][1] && spans[i][0] > spans[i - 1][0], $"window {i} does not overlap the one before: {output}");
        }

        Assert.All(windows, w => Assert.Matches(@"^(positive|negative)$", w[3]));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"explained in {windows.Count} overlapping windows"), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_LongTextWithWindowsJson_TokensCoverTheWholeTextAndWindowsTileThem()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", LongReview, "--long-text", "windows", "--window-stride", "100", "--steps", "4", "--json", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
        var result = JsonParser.Default.Parse<ExplainResult>(output);
        Assert.False(result.Truncated);
        Assert.True(result.Windows.Count >= 3, $"{result.Windows.Count} windows"); // at most 100 tokens apart over ~700 tokens of 510-token windows
        Assert.Equal(result.Windows.Count, result.Prediction.Windows);
        Assert.Equal(LongReview.Length, result.Tokens.Last(t => !t.Special).End);
        // Token ranges index the result's tokens: from the first text token (after [CLS]) to the last (before [SEP]).
        Assert.Equal((1, result.Tokens.Count - 1), (result.Windows[0].TokenStart, result.Windows[^1].TokenEnd));
        Assert.True(result.Tokens[0].Special && result.Tokens[^1].Special);
        for (var i = 1; i < result.Windows.Count; i++)
        {
            var (previous, window) = (result.Windows[i - 1], result.Windows[i]);
            Assert.InRange(window.TokenStart - previous.TokenStart, 1, 100);
            Assert.True(window.TokenStart < previous.TokenEnd, $"windows {i - 1} and {i} do not overlap");
        }
    }

    [Fact]
    public async Task Predict_LongTextWithWindows_SaysHowManyWindowsWereAveraged()
    {
        var (code, output) = await CliRunner.RunAsync("predict", LongReview, "This movie is superb", "--windows", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
        Assert.Contains("Long text", output, StringComparison.Ordinal);
        Assert.Matches(@"mean of [2-9] windows", output);

        var (jsonCode, json) = await CliRunner.RunAsync("predict", LongReview, "--windows", "--json", "--server", server.GrpcAddress.ToString());
        Assert.True(jsonCode == 0, server.Explain(json));
        Assert.True(JsonParser.Default.Parse<PredictResponse>(json).Predictions.Single().Windows >= 2, json);
    }

    [Fact]
    public async Task Predict_LongTextWithoutWindows_IsRejectedNamingTheLimit()
    {
        var (code, output) = await CliRunner.RunAsync("predict", LongReview, "--server", server.GrpcAddress.ToString());

        Assert.Equal(2, code);
        Assert.Contains("512", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--windows --truncate", "--windows, --truncate and --long-text")]
    [InlineData("--long-text truncate --windows", "--windows, --truncate and --long-text")]
    [InlineData("--window-stride 100", "--window-stride: only with --windows")]
    [InlineData("--windows --window-stride 0", "--window-stride: must be at least 1")]
    [InlineData("--long-text split", "--long-text: 'split' is not one of truncate, windows")]
    public async Task Explain_ConflictingLongTextOptions_FailBeforeAnyCall(string options, string message)
    {
        var (code, output) = await CliRunner.RunAsync(["explain", "text", .. options.Split(' '), "--server", "http://127.0.0.1:1"]);

        Assert.NotEqual(0, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
