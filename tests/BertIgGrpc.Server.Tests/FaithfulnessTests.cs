using System.Globalization;
using BertIgGrpc.Contracts.V1;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// ExplainRequest.faithfulness through a real server and the default model: the ERASER scores come back filled, and on
/// the three seed texts the attributions' ranking beats the random rankings (docs/faithfulness.md).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class FaithfulnessTests(ServerFixture server, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The seed texts of the Captum reference and the default model's metrics.</summary>
    public static TheoryData<string> SeedTexts { get; } = new()
    {
        "This movie is superb",
        "A noisy, hideous, and viciously cumbersome movie",
        "It's a heartfelt film about love, loss, and legacy",
    };

    [Theory]
    [MemberData(nameof(SeedTexts))]
    public async Task Explain_SeedText_AttributionsBeatRandomRankings(string text)
    {
        var request = new ExplainRequest { Text = text, Faithfulness = true };

        using var call = server.Client.Explain(request);
        var result = (await call.ResponseStream.ReadAllAsync().LastAsync()).Result;
        var faithfulness = result.Faithfulness;
        Write(text, result);

        Assert.NotNull(faithfulness);
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5], faithfulness.Points.Select(p => p.Fraction));
        var textTokens = result.Tokens.Count(t => !t.Special);
        Assert.Equal(
            new[] { 10, 20, 30, 40, 50 }.Select(percent => Math.Max(1, (int)Math.Ceiling(percent * textTokens / 100.0))),
            faithfulness.Points.Select(p => p.Tokens));
        Assert.Equal(10, faithfulness.RandomRankings);
        Assert.Equal("[PAD]", faithfulness.ReplacementToken);
        Assert.Equal(faithfulness.Points.Average(p => p.Comprehensiveness), faithfulness.ComprehensivenessAopc, 12);
        Assert.Equal(faithfulness.Points.Average(p => p.RandomSufficiency), faithfulness.RandomSufficiencyAopc, 12);
        Assert.All(faithfulness.Points, p =>
        {
            // Differences of probabilities of the target: within [-1, 1], and below p(target | x).
            Assert.InRange(p.Comprehensiveness, -1, result.Prediction.Probability + 1e-6);
            Assert.InRange(p.Sufficiency, -1, result.Prediction.Probability + 1e-6);
        });

        Assert.True(faithfulness.ComprehensivenessAopc > faithfulness.RandomComprehensivenessAopc,
            $"comprehensiveness AOPC {faithfulness.ComprehensivenessAopc:F4} should beat random {faithfulness.RandomComprehensivenessAopc:F4}");
        Assert.True(faithfulness.SufficiencyAopc < faithfulness.RandomSufficiencyAopc,
            $"sufficiency AOPC {faithfulness.SufficiencyAopc:F4} should beat (be below) random {faithfulness.RandomSufficiencyAopc:F4}");
    }

    [Fact]
    public async Task ExplainUnary_WithoutFlag_HasNoFaithfulness_MaskBaselineReplacesByMask()
    {
        const string Text = "This movie is superb";
        var plain = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, NSteps = 8 })).Result;
        var mask = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, NSteps = 8, Baseline = Baseline.Mask, Faithfulness = true })).Result;
        var zero = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, NSteps = 8, Baseline = Baseline.Zero, Faithfulness = true })).Result;

        Assert.Null(plain.Faithfulness);
        Assert.Equal("[MASK]", mask.Faithfulness.ReplacementToken);
        Assert.Equal("[PAD]", zero.Faithfulness.ReplacementToken); // the zero baseline removes tokens as [PAD] ids
        Assert.Equal(5, mask.Faithfulness.Points.Count);
        // The random rankings do not depend on the attributions; the same replacement gives the same random figures.
        var pad = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, NSteps = 8, Faithfulness = true })).Result;
        Assert.Equal(pad.Faithfulness.RandomComprehensivenessAopc, zero.Faithfulness.RandomComprehensivenessAopc, 6);
        Assert.NotEqual(pad.Faithfulness.RandomComprehensivenessAopc, mask.Faithfulness.RandomComprehensivenessAopc, 6);
    }

    private void Write(string text, ExplainResult result)
    {
        var f = result.Faithfulness;
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"\"{text}\": target {result.TargetLabel}, p = {result.Prediction.Probability:F4}, {result.NSteps} steps, replacement {f?.ReplacementToken}"));
        output.WriteLine(string.Join(" ", result.Tokens.Select(t => string.Create(c, $"{t.Token}({t.Attribution:F4})"))));
        if (f is null)
        {
            return;
        }

        output.WriteLine("fraction tokens  comp     suff     rand-comp rand-suff");
        foreach (var p in f.Points)
        {
            output.WriteLine(string.Create(c, $"{p.Fraction,8:F1} {p.Tokens,6}  {p.Comprehensiveness,7:F4}  {p.Sufficiency,7:F4}  {p.RandomComprehensiveness,8:F4}  {p.RandomSufficiency,8:F4}"));
        }

        output.WriteLine(string.Create(c, $"AOPC             {f.ComprehensivenessAopc,7:F4}  {f.SufficiencyAopc,7:F4}  {f.RandomComprehensivenessAopc,8:F4}  {f.RandomSufficiencyAopc,8:F4}"));
    }
}
