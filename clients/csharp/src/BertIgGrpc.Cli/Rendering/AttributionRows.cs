using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Cli.Rendering;

/// <summary>How the rows of the attribution table are ordered.</summary>
public enum AttributionSort
{
    /// <summary>In text order (the default).</summary>
    Position,

    /// <summary>Most positive first (towards the target class), most negative last.</summary>
    Attribution,

    /// <summary>Largest absolute attribution first, whatever its sign.</summary>
    Magnitude,
}

/// <summary>One row of the attribution table: a whole word and the WordPiece tokens it is made of.</summary>
/// <param name="Index">The word's position in the result's word list (the token's, when the result has no words).</param>
/// <param name="Word">The word, its attribution (the sum of its tokens') and its normalised attribution.</param>
/// <param name="Tokens">The word's tokens with their own attributions, in text order.</param>
public sealed record AttributionRow(int Index, TokenAttribution Word, IReadOnlyList<TokenAttribution> Tokens);

/// <summary>Builds the rows the terminal table and the plain-text output show: per word, with per-token numbers.</summary>
public static class AttributionRows
{
    /// <summary>The rows of <paramref name="result"/>, optionally cut to the <paramref name="top"/> words of largest |attribution|, then ordered.</summary>
    /// <param name="result">The explanation.</param>
    /// <param name="sort">The order of the rows.</param>
    /// <param name="top">When set, only the words with the largest absolute attributions (ties keep text order).</param>
    /// <returns>The rows.</returns>
    public static IReadOnlyList<AttributionRow> Build(ExplainResult result, AttributionSort sort = AttributionSort.Position, int? top = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        IEnumerable<AttributionRow> rows = Group(result);
        if (top is { } k)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(top));
            rows = rows.OrderByDescending(r => Math.Abs(r.Word.Attribution)).ThenBy(r => r.Index).Take(k);
        }

        return sort switch
        {
            AttributionSort.Attribution => [.. rows.OrderByDescending(r => r.Word.Attribution).ThenBy(r => r.Index)],
            AttributionSort.Magnitude => [.. rows.OrderByDescending(r => Math.Abs(r.Word.Attribution)).ThenBy(r => r.Index)],
            _ => [.. rows.OrderBy(r => r.Index)],
        };
    }

    /// <summary>
    /// Pairs each word with its tokens. The server merges a token with the <c>##</c> pieces that follow it (same segment,
    /// special tokens alone); the same rule here finds each word's tokens. When the counts disagree (a server that sent
    /// no words, or another merge rule) every token is a row of its own, so no number is lost.
    /// </summary>
    private static List<AttributionRow> Group(ExplainResult result)
    {
        var groups = new List<List<TokenAttribution>>();
        foreach (var t in result.Tokens)
        {
            var continues = !t.Special
                && t.Token.StartsWith("##", StringComparison.Ordinal)
                && groups.Count > 0
                && !groups[^1][^1].Special
                && groups[^1][^1].Segment == t.Segment;
            if (continues)
            {
                groups[^1].Add(t);
            }
            else
            {
                groups.Add([t]);
            }
        }

        if (groups.Count != result.Words.Count)
        {
            return [.. result.Tokens.Select((t, i) => new AttributionRow(i, t, [t]))];
        }

        return [.. result.Words.Select((w, i) => new AttributionRow(i, w, groups[i]))];
    }
}
