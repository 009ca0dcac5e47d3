using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace BertIgGrpc.Engine.Tokenization;

/// <summary>
/// Hugging Face's BERT normalisation (the <c>BertNormalizer</c> of the <c>tokenizers</c> library that the Captum
/// references were tokenized with), used in place of Microsoft.ML.Tokenizers' own, which differs on edge cases:
/// it deletes tabs and line breaks instead of treating them as spaces, keeps format characters (zero-width space),
/// strips spacing combining marks (Mc) as well as non-spacing ones, lower-cases only upper-case letters, and
/// recomposes (NFC) the result, which re-joins decomposed Hangul.
/// </summary>
/// <remarks>
/// Steps: drop NUL, U+FFFD and every "other" (C*) character except tab/CR/LF; map those and Zs to a space; put spaces
/// around CJK ideographs; then, for uncased models, decompose (NFD), drop non-spacing marks (Mn) and lower-case.
/// Every step maps one grapheme cluster on its own, which <see cref="BertTextTokenizer"/> relies on to map offsets back.
/// </remarks>
internal sealed class HuggingFaceBertNormalizer(bool lowerCase) : Normalizer
{
    /// <inheritdoc />
    public override string Normalize(string original)
    {
        ArgumentNullException.ThrowIfNull(original);
        return Normalize(original.AsSpan());
    }

    /// <inheritdoc />
    public override string Normalize(ReadOnlySpan<char> original)
    {
        if (original.IsEmpty)
        {
            return string.Empty;
        }

        var cleaned = new StringBuilder(original.Length + 8);
        foreach (var rune in original.EnumerateRunes())
        {
            var value = rune.Value;
            if (value is '\t' or '\n' or '\r')
            {
                cleaned.Append(' ');
                continue;
            }

            if (value is 0 or 0xFFFD)
            {
                continue;
            }

            var category = Rune.GetUnicodeCategory(rune);
            switch (category)
            {
                case UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                    or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned:
                    continue;
                case UnicodeCategory.SpaceSeparator:
                    cleaned.Append(' ');
                    continue;
            }

            if (IsCjk(value))
            {
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            }
            else
            {
                cleaned.Append(rune.ToString());
            }
        }

        if (!lowerCase)
        {
            return cleaned.ToString();
        }

        var decomposed = cleaned.ToString().Normalize(NormalizationForm.FormD);
        var stripped = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                stripped.Append(rune.ToString());
            }
        }

        return stripped.ToString().ToLowerInvariant();
    }

    /// <summary>The CJK Unified Ideographs blocks, as BERT's <c>_is_chinese_char</c>.</summary>
    internal static bool IsCjk(int codePoint) =>
        codePoint is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
