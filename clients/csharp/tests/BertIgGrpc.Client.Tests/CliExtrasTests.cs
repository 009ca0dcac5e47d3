using System.Globalization;
using BertIgGrpc.Contracts.V1;
using Google.Protobuf;

namespace BertIgGrpc.Client.Tests;

/// <summary>`bertig explain --all-targets --faithfulness` against the real server: a row per class, the ERASER figures.</summary>
[Collection(RealServerCollection.Name)]
public sealed class CliExtrasTests(RealServer server)
{
    [Fact]
    public async Task Explain_AllTargetsAndFaithfulness_PlainOutputHasARowPerClassAndTheFiguresWithAVerdict()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", "This movie is superb", "--all-targets", "--faithfulness", "--steps", "20", "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
        var lines = output.Split('\n');
        var perClass = Array.IndexOf(lines, "Attributions per class (all targets):");
        Assert.True(perClass > 0, output);
        var negative = Cells(lines[perClass + 2]);
        var positive = Cells(lines[perClass + 3]);
        Assert.Equal(["0", "negative"], negative[..2]);
        Assert.Equal(["1", "positive", "*"], positive[..3]); // the explained (predicted) class is marked
        Assert.Equal(["superb", "-"], [negative[5], negative[6][..1]]); // strongest word first, with its sign per class
        Assert.Equal(["superb", "+"], [positive[6], positive[7][..1]]);
        // The explained class's row repeats the main result's attribution score.
        Assert.Equal(Field(lines, "attribution score").Split(' ')[0], positive[4]);

        var faithfulness = Array.IndexOf(lines, "Faithfulness (ERASER):");
        Assert.True(faithfulness > perClass, output);
        var points = lines.Skip(faithfulness + 2).Take(6).Select(Cells).ToList();
        Assert.Equal(["10%", "20%", "30%", "40%", "50%", "AOPC"], points.Select(p => p[0]));
        Assert.Equal(["1", "1", "2", "2", "2"], points.Take(5).Select(p => p[1])); // 4 text tokens: k = ceil(f * 4)
        var aopc = points[5][1..].Select(n => double.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(aopc[0] > aopc[1] && aopc[2] < aopc[3], output); // comprehensiveness above random, sufficiency below
        Assert.Contains("replaced by [PAD] (higher is better)", output, StringComparison.Ordinal);
        Assert.Contains("Verdict: the attribution ranking beats random rankings on both measures.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_AllTargetsAndFaithfulnessJson_CarriesPerTargetAndFaithfulness()
    {
        var (code, output) = await CliRunner.RunAsync(
            "explain", "A noisy, hideous, and viciously cumbersome movie", "--all-targets", "--faithfulness", "--steps", "20", "--json",
            "--server", server.GrpcAddress.ToString());

        Assert.True(code == 0, server.Explain(output));
        var result = JsonParser.Default.Parse<ExplainResult>(output);
        Assert.Equal(["negative", "positive"], result.PerTarget.Select(t => t.Label));
        Assert.Equal(result.AttributionSum, result.PerTarget[result.TargetIndex].AttributionSum, 4);
        Assert.All(result.PerTarget, t => Assert.Equal(result.Tokens.Count, t.Tokens.Count));
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5], result.Faithfulness.Points.Select(p => Math.Round(p.Fraction, 2)));
        Assert.Equal(10, result.Faithfulness.RandomRankings);
        Assert.Equal("[PAD]", result.Faithfulness.ReplacementToken);
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string Field(string[] lines, string name) => lines.First(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];
}
