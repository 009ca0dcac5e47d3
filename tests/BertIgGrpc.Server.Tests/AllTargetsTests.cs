using BertIgGrpc.Contracts.V1;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

/// <summary>all_targets through the real server: one per_target entry per label, each the class's own explanation.</summary>
[Collection(ServerCollection.Name)]
public sealed class AllTargetsTests(ServerFixture server)
{
    private const string Text = "A dull, boring mess. I hated it and wanted my money back.";

    [Fact]
    public async Task ExplainUnary_AllTargets_OneEntryPerLabelEqualToThatClassesExplanation()
    {
        var labels = (await server.Client.ListModelsAsync(new ListModelsRequest())).Models.Single(m => m.IsDefault).Labels;

        var all = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, NSteps = 8, AllTargets = true })).Result;
        var plain = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, NSteps = 8 })).Result;

        Assert.Equal(Enumerable.Range(0, labels.Count), all.PerTarget.Select(p => p.Index));
        Assert.Equal(labels, all.PerTarget.Select(p => p.Label));
        Assert.Empty(plain.PerTarget);
        foreach (var entry in all.PerTarget)
        {
            var single = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = Text, NSteps = 8, TargetIndex = entry.Index })).Result;
            Assert.Equal(single.TargetLabel, entry.Label);
            AssertSame(single.Tokens, entry.Tokens);
            AssertSame(single.Words, entry.Words);
            Assert.Equal(single.ScoreInput, entry.ScoreInput, 1e-5);
            Assert.Equal(single.ScoreBaseline, entry.ScoreBaseline, 1e-5);
            Assert.Equal(single.ConvergenceDelta, entry.ConvergenceDelta, 1e-5);
            Assert.Equal(single.NSteps, entry.NSteps);
            Assert.Equal(entry.AttributionSum, entry.Tokens.Sum(t => t.Attribution), 1e-9);
        }

        // The main result stays the predicted class's, as without all_targets.
        Assert.Equal(plain.TargetIndex, all.TargetIndex);
        Assert.Equal(plain.NSteps, all.NSteps);
        AssertSame(plain.Tokens, all.Tokens);
        AssertSame(plain.Words, all.Words);
    }

    [Fact]
    public async Task Explain_AllTargetsStream_ResultCarriesPerTarget()
    {
        using var call = server.Client.Explain(new ExplainRequest { Text = Text, NSteps = 4, AllTargets = true, TargetIndex = 0 });
        var events = await call.ResponseStream.ReadAllAsync().ToListAsync();

        var result = events[^1].Result;
        Assert.Equal(0, result.TargetIndex);
        Assert.Equal(2, result.PerTarget.Count);
        Assert.Equal(result.Tokens, result.PerTarget[0].Tokens);
        Assert.All(events[..^1], e => Assert.Equal(result.Tokens.Count, e.Progress.Tokens.Count));
    }

    private static void AssertSame(IReadOnlyList<TokenAttribution> expected, IReadOnlyList<TokenAttribution> actual)
    {
        Assert.Equal(expected.Select(t => (t.Token, t.Start, t.End, t.Special)), actual.Select(t => (t.Token, t.Start, t.End, t.Special)));
        var scale = expected.Max(t => Math.Abs(t.Attribution));
        Assert.All(expected.Zip(actual), pair => Assert.True(Math.Abs(pair.First.Attribution - pair.Second.Attribution) <= 1e-5 * scale,
            $"{pair.First.Token}: {pair.First.Attribution} vs {pair.Second.Attribution}"));
    }
}
