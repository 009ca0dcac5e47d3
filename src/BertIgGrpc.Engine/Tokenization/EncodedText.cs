namespace BertIgGrpc.Engine.Tokenization;

/// <summary>
/// One text (or text pair) encoded for a BERT model: <c>[CLS] text [SEP]</c> or <c>[CLS] text [SEP] pair [SEP]</c>,
/// with every token's character span in the original string it came from. All arrays have <see cref="Length"/> entries.
/// </summary>
public sealed class EncodedText
{
    /// <summary>Gets the vocabulary ids.</summary>
    public required int[] Ids { get; init; }

    /// <summary>Gets the token type ids: 0 for [CLS], the text and its [SEP]; 1 for the pair and its [SEP].</summary>
    public required int[] TokenTypeIds { get; init; }

    /// <summary>Gets the attention mask (all ones: an encoding carries no padding).</summary>
    public required int[] AttentionMask { get; init; }

    /// <summary>Gets the WordPiece token strings (continuation pieces keep their <c>##</c> prefix).</summary>
    public required string[] Tokens { get; init; }

    /// <summary>Gets each token's start offset (UTF-16 code units) in the original text of its segment; 0 for special tokens.</summary>
    public required int[] Starts { get; init; }

    /// <summary>Gets each token's end offset (exclusive); 0 for special tokens.</summary>
    public required int[] Ends { get; init; }

    /// <summary>Gets each token's segment: 0 for the text, 1 for the text pair.</summary>
    public required int[] Segments { get; init; }

    /// <summary>Gets whether each token is a special token added by the encoder ([CLS], [SEP]).</summary>
    public required bool[] Special { get; init; }

    /// <summary>Gets whether tokens were dropped to fit the limit.</summary>
    public required bool Truncated { get; init; }

    /// <summary>Gets the original text (segment 0).</summary>
    public required string Text { get; init; }

    /// <summary>Gets the original text pair (segment 1), or null.</summary>
    public string? TextPair { get; init; }

    /// <summary>Gets the number of tokens, special tokens included.</summary>
    public int Length => Ids.Length;

    /// <summary>Returns the original string of <paramref name="segment"/>.</summary>
    public string SegmentText(int segment) => segment == 0 ? Text : TextPair ?? "";

    /// <summary>
    /// Returns the window <c>[CLS] + text tokens [tokenStart, tokenEnd) + [SEP]</c> of a single-text encoding (no pair), as
    /// the model input for that window: text tokens are counted without the leading [CLS], offsets stay those in
    /// <see cref="Text"/>, and the [CLS] and [SEP] are this encoding's own.
    /// </summary>
    public EncodedText Window(int tokenStart, int tokenEnd)
    {
        if (TextPair is not null)
        {
            throw new InvalidOperationException("Windows are cut from a single text, not a text pair.");
        }

        T[] Cut<T>(T[] source) => WindowOf(source, tokenStart, tokenEnd);
        return new EncodedText
        {
            Ids = Cut(Ids),
            TokenTypeIds = Cut(TokenTypeIds),
            AttentionMask = Cut(AttentionMask),
            Tokens = Cut(Tokens),
            Starts = Cut(Starts),
            Ends = Cut(Ends),
            Segments = Cut(Segments),
            Special = Cut(Special),
            Truncated = false,
            Text = Text,
        };
    }

    /// <summary>
    /// Returns the window <c>[first] + source[1 + tokenStart .. 1 + tokenEnd) + [last]</c> of a per-token array of a
    /// single-text encoding (<c>[CLS] text [SEP]</c>): the cut <see cref="Window"/> makes, for any array over the tokens
    /// (e.g. the ids of a perturbed copy of the text).
    /// </summary>
    public static T[] WindowOf<T>(T[] source, int tokenStart, int tokenEnd)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(tokenStart);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokenEnd, source.Length - 2);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tokenEnd, tokenStart);
        var count = tokenEnd - tokenStart;
        var result = new T[count + 2];
        result[0] = source[0];
        Array.Copy(source, 1 + tokenStart, result, 1, count);
        result[^1] = source[^1];
        return result;
    }

    /// <summary>
    /// Returns the ids of the baseline: special tokens kept, every other token replaced by <paramref name="replacementId"/>
    /// (the seed's <c>[CLS] + [PAD] * n + [SEP]</c> for the PAD id).
    /// </summary>
    public int[] BaselineIds(int replacementId)
    {
        var result = new int[Ids.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Special[i] ? Ids[i] : replacementId;
        }

        return result;
    }
}
