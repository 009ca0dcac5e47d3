namespace BertIgGrpc.Engine.Execution;

/// <summary>
/// Model inputs for rows of different lengths, padded on the right to the longest: ids, attention mask and token
/// types, each <c>[Rows, SeqLen]</c>. The one place that pads, for explanations and predictions alike.
/// </summary>
/// <param name="Ids">Token ids, <c>[Rows, SeqLen]</c>; padding is the pad id.</param>
/// <param name="Mask">Attention mask, <c>[Rows, SeqLen]</c>: 1 for real tokens, 0 for padding.</param>
/// <param name="Types">Token type ids, <c>[Rows, SeqLen]</c>; 0 for padding.</param>
/// <param name="Rows">Number of rows.</param>
/// <param name="SeqLen">Padded length.</param>
internal sealed record PaddedBatch(long[] Ids, long[] Mask, long[] Types, int Rows, int SeqLen)
{
    /// <summary>
    /// Pads row <c>r</c> of <paramref name="ids"/> with the token types <paramref name="types"/>[r] (same length) to the
    /// longest row, or to <paramref name="padTo"/> when that is longer (see <see cref="LengthBuckets"/>).
    /// </summary>
    public static PaddedBatch Create(IReadOnlyList<int[]> ids, IReadOnlyList<int[]> types, int padId, Func<int, int>? padTo = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(types);
        if (ids.Count != types.Count)
        {
            throw new ArgumentException($"{ids.Count} rows of ids but {types.Count} of token types.", nameof(types));
        }

        var rows = ids.Count;
        var longest = rows == 0 ? 0 : ids.Max(r => r.Length);
        var seqLen = rows == 0 ? 0 : Math.Max(longest, padTo?.Invoke(longest) ?? longest);
        var batchIds = new long[rows * seqLen];
        var mask = new long[rows * seqLen];
        var batchTypes = new long[rows * seqLen];
        for (var r = 0; r < rows; r++)
        {
            var rowIds = ids[r];
            var rowTypes = types[r];
            for (var s = 0; s < seqLen; s++)
            {
                var real = s < rowIds.Length;
                batchIds[r * seqLen + s] = real ? rowIds[s] : padId;
                mask[r * seqLen + s] = real ? 1 : 0;
                batchTypes[r * seqLen + s] = real ? rowTypes[s] : 0;
            }
        }

        return new PaddedBatch(batchIds, mask, batchTypes, rows, seqLen);
    }
}
