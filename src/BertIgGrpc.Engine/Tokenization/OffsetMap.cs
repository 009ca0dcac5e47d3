using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace BertIgGrpc.Engine.Tokenization;

/// <summary>
/// Maps offsets in the normalised string back to the original. Each grapheme cluster of the original is normalised
/// on its own (lower-casing, accent stripping, NFD/NFC and CJK spacing never cross a cluster boundary), which gives
/// the original cluster behind every normalised character.
/// </summary>
internal sealed class OffsetMap
{
    private readonly int[] _clusterStart;
    private readonly int[] _clusterEnd;
    private readonly double _scale;

    private OffsetMap(int[] clusterStart, int[] clusterEnd, double scale)
    {
        _clusterStart = clusterStart;
        _clusterEnd = clusterEnd;
        _scale = scale;
    }

    public static OffsetMap Build(string original, string normalized, Normalizer normalizer)
    {
        var clusterStart = new int[normalized.Length];
        var clusterEnd = new int[normalized.Length];
        var written = 0;
        var consistent = true;
        var enumerator = StringInfo.GetTextElementEnumerator(original);
        while (enumerator.MoveNext() && consistent)
        {
            var start = enumerator.ElementIndex;
            var element = (string)enumerator.Current;
            var piece = normalizer.Normalize(element);
            if (written + piece.Length > normalized.Length || string.CompareOrdinal(normalized, written, piece, 0, piece.Length) != 0)
            {
                consistent = false;
                break;
            }

            for (var k = 0; k < piece.Length; k++)
            {
                clusterStart[written + k] = start;
                clusterEnd[written + k] = start + element.Length;
            }

            written += piece.Length;
        }

        // If the per-cluster normalisation ever disagrees with the library's, fall back to a proportional map:
        // spans stay inside the text and in order, if less exact.
        return consistent && written == normalized.Length
            ? new OffsetMap(clusterStart, clusterEnd, 0)
            : new OffsetMap([], [], normalized.Length == 0 ? 1 : (double)original.Length / normalized.Length);
    }

    public (int Start, int End) ToOriginal(int start, int end)
    {
        if (_clusterStart.Length == 0)
        {
            return ((int)Math.Floor(start * _scale), (int)Math.Ceiling(end * _scale));
        }

        if (end <= start)
        {
            var at = start < _clusterStart.Length ? _clusterStart[start] : _clusterEnd[^1];
            return (at, at);
        }

        return (_clusterStart[start], _clusterEnd[end - 1]);
    }
}
