using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>The masking, rounding, rankings and arithmetic of <see cref="FaithfulnessScoring"/>.</summary>
public class FaithfulnessScoringTests
{
    // [CLS] a b c d [SEP]; replacement: specials kept, text tokens -> 0 ([PAD]).
    private static readonly int[] Ids = [101, 11, 12, 13, 14, 102];
    private static readonly int[] Replacement = [101, 0, 0, 0, 0, 102];
    private static readonly bool[] Special = [true, false, false, false, false, true];
    // The specials' attributions are the largest on purpose: they must still never be ranked.
    private static readonly double[] Attributions = [9.0, 0.1, 0.4, -0.2, 0.3, 8.0];

    [Theory]
    [InlineData(10, 4, 1)] // 0.4 -> at least 1
    [InlineData(20, 4, 1)] // 0.8 -> 1
    [InlineData(30, 4, 2)] // 1.2 -> 2 (ceil)
    [InlineData(50, 4, 2)]
    [InlineData(30, 10, 3)] // exact: no floating-point 3.0000000000000004 -> 4
    [InlineData(10, 12, 2)]
    [InlineData(50, 12, 6)]
    [InlineData(10, 1, 1)]
    [InlineData(50, 1, 1)]
    [InlineData(10, 0, 0)]
    public void TokensAt_RoundsUpToAtLeastOne(int percent, int textTokens, int expected)
        => Assert.Equal(expected, FaithfulnessScoring.TokensAt(percent, textTokens));

    [Fact]
    public void RankByAttribution_TextTokensHighestFirst_SpecialsNever_TiesByPosition()
    {
        Assert.Equal([2, 4, 1, 3], FaithfulnessScoring.RankByAttribution(Attributions, Special));
        Assert.Equal([1, 2, 3, 4], FaithfulnessScoring.RankByAttribution([0, 0.5, 0.5, 0.5, 0.5, 0], Special));
    }

    [Fact]
    public void Rows_RemoveAndKeepTheTopTokensAtEachFraction()
    {
        var rows = FaithfulnessScoring.Rows(Ids, Replacement, Special, Attributions);

        Assert.Equal(FaithfulnessScoring.RowsPerText, rows.Length);
        Assert.Equal(111, rows.Length); // input + 11 rankings x 5 points x 2
        Assert.Equal(Ids, rows[0]);
        // Ranking [2, 4, 1, 3]: k = 1, 1, 2, 2, 2 for 10 ... 50%.
        int[][] removed = [[101, 11, 0, 13, 14, 102], [101, 11, 0, 13, 14, 102], [101, 11, 0, 13, 0, 102], [101, 11, 0, 13, 0, 102], [101, 11, 0, 13, 0, 102]];
        int[][] kept = [[101, 0, 12, 0, 0, 102], [101, 0, 12, 0, 0, 102], [101, 0, 12, 0, 14, 102], [101, 0, 12, 0, 14, 102], [101, 0, 12, 0, 14, 102]];
        for (var point = 0; point < 5; point++)
        {
            Assert.Equal(removed[point], rows[1 + 2 * point]);
            Assert.Equal(kept[point], rows[2 + 2 * point]);
        }

        Assert.All(rows, row =>
        {
            Assert.Equal(101, row[0]);
            Assert.Equal(102, row[^1]);
        });
    }

    [Fact]
    public void Rows_RandomRankingsMaskTheirOwnTopTokens()
    {
        var rows = FaithfulnessScoring.Rows(Ids, Replacement, Special, Attributions);
        var random = FaithfulnessScoring.RandomRanks(Special);

        for (var r = 0; r < FaithfulnessScoring.RandomRankings; r++)
        {
            for (var point = 0; point < 5; point++)
            {
                var k = FaithfulnessScoring.TokensAt(FaithfulnessScoring.Percentages[point], 4);
                var top = random[r][..k];
                var remove = rows[1 + 2 * ((r + 1) * 5 + point)];
                var keep = rows[2 + 2 * ((r + 1) * 5 + point)];
                for (var p = 1; p <= 4; p++)
                {
                    Assert.Equal(top.Contains(p) ? 0 : Ids[p], remove[p]);
                    Assert.Equal(top.Contains(p) ? Ids[p] : 0, keep[p]);
                }
            }
        }
    }

    [Fact]
    public void RandomRanks_DeterministicPermutationsOfTheTextPositions()
    {
        var special = new bool[22];
        special[0] = special[^1] = true;
        var first = FaithfulnessScoring.RandomRanks(special);
        var second = FaithfulnessScoring.RandomRanks(special);

        Assert.Equal(FaithfulnessScoring.RandomRankings, first.Length);
        Assert.Equal(first, second);
        Assert.All(first, ranking => Assert.Equal(Enumerable.Range(1, 20), ranking.Order()));
        Assert.Equal(first.Length, first.Select(r => string.Join(',', r)).Distinct().Count());
        Assert.DoesNotContain(first, r => r.SequenceEqual(Enumerable.Range(1, 20)));
        // The first ranking, pinned: the seed and generator are part of the definition (docs/faithfulness.md).
        Assert.Equal([1, 3, 20, 5, 17, 4, 15, 16, 18, 2, 9, 7, 10, 13, 11, 8, 6], first[0][..17]);
    }

    [Fact]
    public void Score_DifferencesFromTheInputProbability_RandomAveraged_AopcTheMeanOverPoints()
    {
        var p = new double[FaithfulnessScoring.RowsPerText];
        p[0] = 0.9;
        for (var point = 0; point < 5; point++)
        {
            p[1 + 2 * point] = 0.9 - 0.1 * (point + 1);  // comprehensiveness 0.1 ... 0.5
            p[2 + 2 * point] = 0.8;                     // sufficiency 0.1
            for (var r = 1; r <= FaithfulnessScoring.RandomRankings; r++)
            {
                p[1 + 2 * (r * 5 + point)] = r % 2 == 0 ? 0.9 : 0.7; // random comprehensiveness: 0 or 0.2, mean 0.1
                p[2 + 2 * (r * 5 + point)] = 0.5;                    // random sufficiency 0.4
            }
        }

        var scores = FaithfulnessScoring.Score(p, 4, "[PAD]");

        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5], scores.Points.Select(x => x.Fraction));
        Assert.Equal([1, 1, 2, 2, 2], scores.Points.Select(x => x.Tokens));
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5], scores.Points.Select(x => Math.Round(x.Comprehensiveness, 12)));
        Assert.All(scores.Points, x =>
        {
            Assert.Equal(0.1, x.Sufficiency, 12);
            Assert.Equal(0.1, x.RandomComprehensiveness, 12);
            Assert.Equal(0.4, x.RandomSufficiency, 12);
        });
        Assert.Equal(0.3, scores.ComprehensivenessAopc, 12);
        Assert.Equal(0.1, scores.SufficiencyAopc, 12);
        Assert.Equal(0.1, scores.RandomComprehensivenessAopc, 12);
        Assert.Equal(0.4, scores.RandomSufficiencyAopc, 12);
        Assert.Equal(10, scores.RandomRankings);
        Assert.Equal("[PAD]", scores.ReplacementToken);
    }

    [Theory]
    [InlineData(BaselineKind.Pad, "[PAD]")]
    [InlineData(BaselineKind.Mask, "[MASK]")]
    [InlineData(BaselineKind.Unk, "[UNK]")]
    [InlineData(BaselineKind.Zero, "[PAD]")]
    public void ReplacementToken_FollowsTheBaseline(BaselineKind baseline, string token)
        => Assert.Equal(token, FaithfulnessScoring.ReplacementToken(baseline));
}
