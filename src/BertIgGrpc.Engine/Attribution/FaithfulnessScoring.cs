namespace BertIgGrpc.Engine.Attribution;

/// <summary>
/// ERASER faithfulness of a token ranking (DeYoung et al., 2020), on the model's forward logits: for the top k% of the
/// text tokens by attribution towards the target, comprehensiveness = p(target | x) - p(target | x with them replaced by
/// the baseline token) and sufficiency = p(target | x) - p(target | only them kept, every other text token replaced);
/// the same for <see cref="RandomRankings"/> random rankings as the reference to beat. See docs/faithfulness.md.
/// </summary>
/// <remarks>
/// Special tokens ([CLS], [SEP]) are never ranked, removed or replaced; the text tokens are all others (both segments of
/// a pair). At a percentage p of n text tokens, k = ceil(p n / 100) tokens (so at least one when n &gt; 0). Attribution
/// ties rank the earlier position first. AOPC is the plain mean over the <see cref="Percentages"/> points (no k = 0 point).
/// </remarks>
internal static class FaithfulnessScoring
{
    /// <summary>Random rankings scored as the reference.</summary>
    public const int RandomRankings = 10;

    /// <summary>Seed of the random rankings: the same text gets the same rankings on every call and every machine.</summary>
    public const ulong RandomSeed = 0x5EED_F417;

    /// <summary>The fractions of the text tokens, in percent.</summary>
    public static IReadOnlyList<int> Percentages { get; } = [10, 20, 30, 40, 50];

    /// <summary>
    /// Forward rows one text's scores take: the input, then per ranking (the attributions' and the random ones) and per
    /// point one comprehensiveness row and one sufficiency row.
    /// </summary>
    public static int RowsPerText { get; } = 1 + (1 + RandomRankings) * Percentages.Count * 2;

    /// <summary>The tokens the top <paramref name="percent"/>% of <paramref name="textTokens"/> text tokens round to: ceil, at least 1 when there are any.</summary>
    public static int TokensAt(int percent, int textTokens) => textTokens == 0 ? 0 : Math.Max(1, (percent * textTokens + 99) / 100);

    /// <summary>The name of the token that replaces removed tokens for <paramref name="baseline"/> (the zero baseline uses [PAD] ids).</summary>
    public static string ReplacementToken(BaselineKind baseline) => baseline switch
    {
        BaselineKind.Mask => "[MASK]",
        BaselineKind.Unk => "[UNK]",
        _ => "[PAD]",
    };

    /// <summary>The positions of the text tokens (not special), highest attribution first; ties keep position order.</summary>
    public static int[] RankByAttribution(IReadOnlyList<double> attributions, IReadOnlyList<bool> special)
        => TextPositions(special).OrderByDescending(p => attributions[p]).ToArray(); // OrderBy is stable

    /// <summary>
    /// <see cref="RandomRankings"/> permutations of the text positions, Fisher-Yates driven by SplitMix64 from
    /// <see cref="RandomSeed"/>: deterministic, and independent of the platform's <see cref="Random"/>.
    /// </summary>
    public static int[][] RandomRanks(IReadOnlyList<bool> special)
    {
        var positions = TextPositions(special);
        var state = RandomSeed;
        var rankings = new int[RandomRankings][];
        for (var r = 0; r < RandomRankings; r++)
        {
            var ranking = positions.ToArray();
            for (var i = ranking.Length - 1; i > 0; i--)
            {
                var j = (int)(SplitMix64(ref state) % (ulong)(i + 1));
                (ranking[i], ranking[j]) = (ranking[j], ranking[i]);
            }

            rankings[r] = ranking;
        }

        return rankings;
    }

    /// <summary>The input with the first <paramref name="k"/> positions of <paramref name="ranking"/> replaced (comprehensiveness).</summary>
    public static int[] Remove(int[] ids, int[] replacementIds, int[] ranking, int k)
    {
        var row = ids.ToArray();
        foreach (var position in ranking.AsSpan(0, k))
        {
            row[position] = replacementIds[position];
        }

        return row;
    }

    /// <summary>The replacement with the first <paramref name="k"/> positions of <paramref name="ranking"/> kept from the input (sufficiency).</summary>
    public static int[] Keep(int[] ids, int[] replacementIds, int[] ranking, int k)
    {
        var row = replacementIds.ToArray();
        foreach (var position in ranking.AsSpan(0, k))
        {
            row[position] = ids[position];
        }

        return row;
    }

    /// <summary>
    /// The <see cref="RowsPerText"/> rows to run: row 0 the input, then ranking j (0: the attributions', 1 ...: random), point i,
    /// at <c>1 + 2 (j P + i)</c> the removal and one after it the kept-only row.
    /// </summary>
    /// <param name="ids">The input ids.</param>
    /// <param name="replacementIds">The baseline ids: special tokens as in the input, every other one the replacement token.</param>
    /// <param name="special">Whether each position is a special token.</param>
    /// <param name="attributions">Each position's attribution towards the target.</param>
    public static int[][] Rows(int[] ids, int[] replacementIds, IReadOnlyList<bool> special, IReadOnlyList<double> attributions)
    {
        if (replacementIds.Length != ids.Length || special.Count != ids.Length || attributions.Count != ids.Length)
        {
            throw new ArgumentException($"{ids.Length} ids, {replacementIds.Length} replacement ids, {special.Count} special flags and {attributions.Count} attributions: all must be one length.");
        }

        var rankings = new[] { RankByAttribution(attributions, special) }.Concat(RandomRanks(special)).ToArray();
        var textTokens = rankings[0].Length;
        var rows = new List<int[]>(RowsPerText) { ids.ToArray() };
        foreach (var ranking in rankings)
        {
            foreach (var percent in Percentages)
            {
                var k = TokensAt(percent, textTokens);
                rows.Add(Remove(ids, replacementIds, ranking, k));
                rows.Add(Keep(ids, replacementIds, ranking, k));
            }
        }

        return rows.ToArray();
    }

    /// <summary>Scores <see cref="Rows"/> from the target's probability on each row.</summary>
    /// <param name="targetProbabilities">p(target) per row of <see cref="Rows"/>, in order.</param>
    /// <param name="textTokens">The number of text (not special) tokens.</param>
    /// <param name="replacementToken">The name of the replacement token, reported as is.</param>
    public static FaithfulnessScores Score(IReadOnlyList<double> targetProbabilities, int textTokens, string replacementToken)
    {
        if (targetProbabilities.Count != RowsPerText)
        {
            throw new ArgumentException($"{targetProbabilities.Count} probabilities for {RowsPerText} rows.", nameof(targetProbabilities));
        }

        var full = targetProbabilities[0];
        var count = Percentages.Count;
        double Drop(int ranking, int point, int kind) => full - targetProbabilities[1 + 2 * (ranking * count + point) + kind];
        double RandomMean(int point, int kind) => Enumerable.Range(1, RandomRankings).Average(r => Drop(r, point, kind));

        var points = Enumerable.Range(0, count).Select(i => new FaithfulnessPoint(
            Percentages[i] / 100.0, TokensAt(Percentages[i], textTokens),
            Drop(0, i, 0), Drop(0, i, 1), RandomMean(i, 0), RandomMean(i, 1))).ToArray();
        return new FaithfulnessScores(
            points,
            points.Average(p => p.Comprehensiveness),
            points.Average(p => p.Sufficiency),
            points.Average(p => p.RandomComprehensiveness),
            points.Average(p => p.RandomSufficiency),
            RandomRankings,
            replacementToken);
    }

    private static int[] TextPositions(IReadOnlyList<bool> special) => Enumerable.Range(0, special.Count).Where(p => !special[p]).ToArray();

    // SplitMix64 (Steele, Lea, Flood 2014): a tiny generator with a fixed, documented output for a seed.
    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
