using System.Globalization;
using System.Text.RegularExpressions;
using BertIgGrpc.Contracts.V1;
using Google.Protobuf;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// What `bertig explain` prints when its output is not a terminal, and where it takes texts from (arguments, standard
/// input, files, several at once), against the real server; the piped cases run the CLI as its own process.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed partial class CliOutputTests(RealServer server)
{
    /// <summary>One line of the plain word table: index, word, attribution, normalised, tokens with attributions.</summary>
    private sealed record Row(int Index, string Word, double Attribution, double Normalized, string Tokens);

    /// <summary>One explanation in the plain output: its "name: value" lines and its table rows.</summary>
    private sealed record Explanation(IReadOnlyDictionary<string, string> Fields, IReadOnlyList<Row> Rows);

    [Fact]
    public async Task Explain_PipedOutput_PrintsEachTokenWithItsAttribution()
    {
        var (code, stdout, stderr) = await CliProcess.RunBertigAsync(null, "explain", "This movie is superb", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(stdout + stderr));
        Assert.DoesNotContain('\u001b', stdout); // no colour codes in a pipe
        var explanation = Assert.Single(Parse(stdout));
        Assert.Equal(["[CLS]", "This", "movie", "is", "superb", "[SEP]"], explanation.Rows.Select(r => r.Word));
        var superb = explanation.Rows.Single(r => r.Word == "superb");
        Assert.True(superb.Attribution > 0, stdout);
        Assert.Equal($"superb {superb.Attribution.ToString("+0.0000", CultureInfo.InvariantCulture)}", superb.Tokens);

        // The numbers are the explanation's: they add up to the printed attribution score, and the legend says how to read them.
        var score = double.Parse(explanation.Fields["attribution score"].Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.Equal(score, explanation.Rows.Sum(r => r.Attribution), 3);
        Assert.Contains("F(x) - F(baseline)", explanation.Fields["attribution score"], StringComparison.Ordinal);
        Assert.StartsWith("positive (", explanation.Fields["predicted"], StringComparison.Ordinal);
        Assert.Contains("pushes towards 'positive'", explanation.Fields["legend"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_DashArgument_ExplainsStandardInput()
    {
        var (code, stdout, stderr) = await CliProcess.RunBertigAsync(
            "The plot was boring\n", "explain", "-", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(stdout + stderr));
        var explanation = Assert.Single(Parse(stdout));
        Assert.Equal(["[CLS]", "The", "plot", "was", "boring", "[SEP]"], explanation.Rows.Select(r => r.Word));
        Assert.StartsWith("negative (", explanation.Fields["predicted"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_FileOption_ExplainsTheWholeFileAsOneText()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bertig-{Guid.NewGuid():N}.txt");
        try
        {
            await File.WriteAllTextAsync(file, "A superb film.\nThe ending was moving.\n");

            var (code, output) = await CliRunner.RunAsync("explain", "--file", file, "--server", server.GrpcAddress.ToString());

            Assert.True(code == 0, server.Explain(output));
            var explanation = Assert.Single(Parse(output));
            var words = explanation.Rows.Select(r => r.Word).ToList();
            Assert.Contains("superb", words);
            Assert.Contains("moving", words);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Explain_SeveralTexts_OneExplanationEachInOrder()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bertig-{Guid.NewGuid():N}.txt");
        try
        {
            await File.WriteAllTextAsync(file, "What a dreadful mess\n\nA delightful surprise\n");

            var (code, output) = await CliRunner.RunAsync(
                "explain", "This movie is superb", "The plot was boring", "--file", file, "--lines", "--steps", "16",
                "--server", server.GrpcAddress.ToString());

            Assert.True(code == 0, server.Explain(output));
            var headers = HeaderLine().Matches(output).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(
                ["text 1/4 (argument 1): This movie is superb", "text 2/4 (argument 2): The plot was boring",
                 $"text 3/4 ({file}:1): What a dreadful mess", $"text 4/4 ({file}:3): A delightful surprise"],
                headers);
            var explanations = Parse(output);
            Assert.Equal(4, explanations.Count);
            foreach (var (explanation, word) in explanations.Zip(["superb", "boring", "dreadful", "delightful"]))
            {
                Assert.Contains(word, explanation.Rows.Select(r => r.Word));
            }

            Assert.Equal(["positive", "negative", "negative", "positive"], explanations.Select(e => e.Fields["predicted"].Split(' ')[0]));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Explain_TopOption_ListsTheKWordsOfLargestAttributionMagnitude()
    {
        const string text = "The acting was unbelievably wooden";
        var (jsonCode, json) = await CliRunner.RunAsync("explain", text, "--json", "--server", server.GrpcAddress.ToString());
        Assert.True(jsonCode == 0, server.Explain(json));
        var expected = JsonParser.Default.Parse<ExplainResult>(json).Words
            .OrderByDescending(w => Math.Abs(w.Attribution)).Take(3).Select(w => w.Token).ToList();

        var (code, output) = await CliRunner.RunAsync("explain", text, "--top", "3", "--sort", "magnitude", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
        var rows = Assert.Single(Parse(output)).Rows;
        Assert.Equal(expected, rows.Select(r => r.Word));
        // A word made of several WordPieces lists each piece with its own number.
        var unbelievably = Assert.Single(rows, r => r.Word == "unbelievably");
        Assert.Matches(@"^un [+-]\d\.\d{4}  ##\S+ [+-]\d\.\d{4}", unbelievably.Tokens);
    }

    [Fact]
    public async Task Explain_JsonWithSeveralTexts_PrintsOneJsonLinePerTextInOrder()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", "This movie is superb", "The plot was boring", "--json", "--steps", "8", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
        var results = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JsonParser.Default.Parse<ExplainResult>).ToList();
        Assert.Equal(["positive", "negative"], results.Select(r => r.Prediction.Label));
        Assert.All(results, r => Assert.Equal(8, r.NSteps));
    }

    private static List<Explanation> Parse(string output)
    {
        var explanations = new List<Explanation>();
        Dictionary<string, string>? fields = null;
        List<Row>? rows = null;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("model: ", StringComparison.Ordinal))
            {
                fields = [];
                rows = [];
                explanations.Add(new Explanation(fields, rows));
            }

            if (fields is null || rows is null)
            {
                continue;
            }

            if (RowLine().Match(line) is { Success: true } row)
            {
                rows.Add(new Row(
                    int.Parse(row.Groups[1].Value, CultureInfo.InvariantCulture),
                    row.Groups[2].Value,
                    double.Parse(row.Groups[3].Value, CultureInfo.InvariantCulture),
                    double.Parse(row.Groups[4].Value, CultureInfo.InvariantCulture),
                    row.Groups[5].Value));
            }
            else if (FieldLine().Match(line) is { Success: true } field)
            {
                fields[field.Groups[1].Value] = field.Groups[2].Value;
            }
        }

        return explanations;
    }

    [GeneratedRegex(@"^\s*(\d+)  (\S+)\s+([+-]?\d+\.\d{4})\s+([+-]?\d+\.\d{3})  (.+)$")]
    private static partial Regex RowLine();

    [GeneratedRegex(@"^([a-z ]+): (.*)$")]
    private static partial Regex FieldLine();

    [GeneratedRegex(@"^== (.*)$", RegexOptions.Multiline)]
    private static partial Regex HeaderLine();
}
