using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace BertIgGrpc.Engine.Tokenization;

/// <summary>
/// BERT WordPiece encoding on top of <see cref="BertTokenizer"/> (Microsoft.ML.Tokenizers), producing model inputs
/// together with each token's character span in the caller's original string.
/// </summary>
/// <remarks>
/// Two parts of the library are replaced so the ids match Hugging Face's BERT tokenizer (which produced the Captum
/// reference vectors): the normaliser (<see cref="HuggingFaceBertNormalizer"/>: tabs and line breaks are spaces, accents
/// are stripped whenever the model lower-cases) and the pre-tokenizer, which splits words on Hugging Face's punctuation
/// set, ASCII symbols such as <c>$ + = ^ ~ | &lt; &gt;</c> included, where the library's drops those characters.
/// </remarks>
public sealed class BertTextTokenizer
{
    /// <summary>The length limit of BERT's position embeddings, special tokens included.</summary>
    public const int AbsoluteMaxTokens = 512;

    // Hugging Face's _is_punctuation: Unicode P* plus the ASCII ranges 33-47, 58-64, 91-96, 123-126.
    private const string Punctuation = @"\p{P}\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E";
    private static readonly Regex WordOrPunctuation = new($"[{Punctuation}]|[^\\s{Punctuation}]+", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private readonly BertTokenizer _tokenizer;

    private BertTextTokenizer(BertTokenizer tokenizer, bool lowerCase)
    {
        _tokenizer = tokenizer;
        LowerCase = lowerCase;
        PadId = tokenizer.PaddingTokenId;
        ClsId = tokenizer.ClassificationTokenId;
        SepId = tokenizer.SeparatorTokenId;
        MaskId = tokenizer.MaskingTokenId;
        UnkId = tokenizer.UnknownTokenId;
    }

    /// <summary>Gets whether text is lower-cased (and accents stripped) before WordPiece.</summary>
    public bool LowerCase { get; }

    /// <summary>Gets the id of <c>[PAD]</c>.</summary>
    public int PadId { get; }

    /// <summary>Gets the id of <c>[CLS]</c>.</summary>
    public int ClsId { get; }

    /// <summary>Gets the id of <c>[SEP]</c>.</summary>
    public int SepId { get; }

    /// <summary>Gets the id of <c>[MASK]</c>.</summary>
    public int MaskId { get; }

    /// <summary>Gets the id of <c>[UNK]</c>.</summary>
    public int UnkId { get; }

    /// <summary>Creates a tokenizer from a WordPiece vocabulary file (one token per line).</summary>
    /// <param name="vocabPath">Path to <c>vocab.txt</c>.</param>
    /// <param name="lowerCase">Whether the model is uncased.</param>
    public static BertTextTokenizer Create(string vocabPath, bool lowerCase)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        using var stream = File.OpenRead(vocabPath);
        return Create(stream, lowerCase);
    }

    /// <summary>Creates a tokenizer from a stream holding a WordPiece vocabulary (one token per line). The stream is read, not disposed.</summary>
    /// <param name="vocabStream">The vocabulary.</param>
    /// <param name="lowerCase">Whether the model is uncased.</param>
    public static BertTextTokenizer Create(Stream vocabStream, bool lowerCase)
    {
        ArgumentNullException.ThrowIfNull(vocabStream);
        using var buffer = new MemoryStream();
        vocabStream.CopyTo(buffer);

        // The pre-tokenizer has to know the special tokens (in their normalised spelling) to keep "[SEP]" in a text whole.
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var rawLine in Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line is "[PAD]" or "[UNK]" or "[CLS]" or "[SEP]" or "[MASK]")
            {
                specials[lowerCase ? line.ToLowerInvariant() : line] = index;
            }

            index++;
        }

        buffer.Position = 0;
        var options = new BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase,
            RemoveNonSpacingMarks = lowerCase,
            Normalizer = new HuggingFaceBertNormalizer(lowerCase),
            PreTokenizer = new RegexPreTokenizer(WordOrPunctuation, specials),
        };
        return new BertTextTokenizer(BertTokenizer.Create(buffer, options), lowerCase);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> (and <paramref name="textPair"/>) as <c>[CLS] text [SEP] (pair [SEP])</c>.
    /// </summary>
    /// <param name="text">The text (segment 0).</param>
    /// <param name="textPair">Optional second segment (token type 1).</param>
    /// <param name="maxTokens">Token limit, special tokens included (capped at 512).</param>
    /// <param name="truncate">Whether to drop tokens beyond the limit (from the longer segment first, as Hugging Face's
    /// <c>longest_first</c>) instead of rejecting the input.</param>
    /// <exception cref="InvalidExplainRequestException">The input is over the limit and <paramref name="truncate"/> is false (field <c>text</c>).</exception>
    public EncodedText Encode(string text, string? textPair = null, int maxTokens = AbsoluteMaxTokens, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var limit = Math.Min(maxTokens, AbsoluteMaxTokens);
        var specialCount = textPair is null ? 2 : 3;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, specialCount + 1, nameof(maxTokens));
        using var activity = EngineTelemetry.StartTokenize(limit);

        var first = EncodeSegment(text);
        var second = textPair is null ? [] : EncodeSegment(textPair);
        var total = first.Count + second.Count + specialCount;
        var truncated = false;
        if (total > limit)
        {
            if (!truncate)
            {
                throw new InvalidExplainRequestException(
                    "text",
                    $"The input is {total} tokens long including [CLS]/[SEP], over this model's limit of {limit}. " +
                    "Shorten it or set truncate to cut it to the limit.");
            }

            // Hugging Face's longest_first: drop the last token of the longer segment (the pair on a tie) until it fits.
            while (first.Count + second.Count + specialCount > limit)
            {
                if (first.Count > second.Count)
                {
                    first.RemoveAt(first.Count - 1);
                }
                else
                {
                    second.RemoveAt(second.Count - 1);
                }
            }

            truncated = true;
        }

        return Assemble(text, textPair, first, second, truncated);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> whole as <c>[CLS] text [SEP]</c>, with no token limit: the token sequence that
    /// overlapping windows are cut from (<see cref="EncodedText.Window"/>). Not a model input when longer than the model's limit.
    /// </summary>
    public EncodedText EncodeWhole(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Assemble(text, null, EncodeSegment(text), [], truncated: false);
    }

    private EncodedText Assemble(string text, string? textPair, List<Piece> first, List<Piece> second, bool truncated)
    {
        var specialCount = textPair is null ? 2 : 3;
        var length = first.Count + second.Count + specialCount;
        var ids = new int[length];
        var types = new int[length];
        var tokens = new string[length];
        var starts = new int[length];
        var ends = new int[length];
        var segments = new int[length];
        var special = new bool[length];
        var position = 0;

        void AddSpecial(int id, string token, int segment)
        {
            ids[position] = id;
            tokens[position] = token;
            types[position] = segment;
            segments[position] = segment;
            special[position] = true;
            position++;
        }

        void AddSegment(List<Piece> pieces, int segment)
        {
            foreach (var piece in pieces)
            {
                ids[position] = piece.Id;
                tokens[position] = piece.Token;
                starts[position] = piece.Start;
                ends[position] = piece.End;
                types[position] = segment;
                segments[position] = segment;
                position++;
            }
        }

        AddSpecial(ClsId, "[CLS]", 0);
        AddSegment(first, 0);
        AddSpecial(SepId, "[SEP]", 0);
        if (textPair is not null)
        {
            AddSegment(second, 1);
            AddSpecial(SepId, "[SEP]", 1);
        }

        return new EncodedText
        {
            Ids = ids,
            TokenTypeIds = types,
            AttentionMask = Enumerable.Repeat(1, length).ToArray(),
            Tokens = tokens,
            Starts = starts,
            Ends = ends,
            Segments = segments,
            Special = special,
            Truncated = truncated,
            Text = text,
            TextPair = textPair,
        };
    }

    /// <summary>Counts the tokens of <paramref name="text"/> without special tokens.</summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeSegment(text).Count;
    }

    private List<Piece> EncodeSegment(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var encoded = _tokenizer.EncodeToTokens(text, out var normalized);
        var map = normalized is null ? null : OffsetMap.Build(text, normalized, _tokenizer.Normalizer!);
        var pieces = new List<Piece>(encoded.Count);
        foreach (var token in encoded)
        {
            var (start, end) = (token.Offset.Start.GetOffset(int.MaxValue), token.Offset.End.GetOffset(int.MaxValue));
            if (map is not null)
            {
                (start, end) = map.ToOriginal(start, end);
            }

            pieces.Add(new Piece(token.Id, token.Value, start, end));
        }

        return pieces;
    }

    private readonly record struct Piece(int Id, string Token, int Start, int End);
}
