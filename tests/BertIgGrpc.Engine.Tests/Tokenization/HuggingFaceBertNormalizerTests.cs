using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Tests.Tokenization;

public class HuggingFaceBertNormalizerTests
{
    private static readonly HuggingFaceBertNormalizer Uncased = new(lowerCase: true);
    private static readonly HuggingFaceBertNormalizer Cased = new(lowerCase: false);

    [Theory]
    [InlineData("Héllo WORLD", "hello world")]
    [InlineData("a\tb\nc\rd", "a b c d")]
    [InlineData("zero\u200Bwidth", "zerowidth")]
    [InlineData("nul\0x\uFFFDy\u0007z", "nulxyz")]
    [InlineData("no\u00A0break", "no break")]
    [InlineData("日本", " 日  本 ")]
    [InlineData("ǅ Ⅷ", "ǆ ⅷ")]
    public void Uncased_Normalize_AsHuggingFace(string input, string expected)
    {
        Assert.Equal(expected, Uncased.Normalize(input));
    }

    [Fact]
    public void Uncased_Hangul_StaysDecomposed()
    {
        // Hugging Face strips accents after NFD and never recomposes: the syllable becomes its jamo.
        Assert.Equal("\u1112\u1161\u11AB", Uncased.Normalize("\uD55C"));
    }

    [Fact]
    public void Uncased_SpacingMarks_AreKept()
    {
        // Only non-spacing marks (Mn) are accents to Hugging Face; the Devanagari vowel sign AA (Mc) stays.
        Assert.Equal("\u0915\u093E", Uncased.Normalize("\u0915\u093E"));
    }

    [Fact]
    public void Cased_KeepsCaseAndAccents()
    {
        Assert.Equal("Héllo WORLD", Cased.Normalize("Héllo\tWORLD"));
    }

    [Fact]
    public void Tokenizer_ZeroWidthSpaceInsideWord_OneWordWithWholeSpan()
    {
        const string text = "foo\u200Bbar";
        var encoded = MiniLmVocab.Tokenizer.Encode(text);
        Assert.Equal(MiniLmVocab.Tokenizer.Encode("foobar").Ids, encoded.Ids);
        Assert.Equal(0, encoded.Starts[1]);
        Assert.Equal(text.Length, encoded.Ends[encoded.Length - 2]);
    }
}
