using System.Text.Json;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Tests.Tokenization;

public class BertTextTokenizerTests
{
    private static BertTextTokenizer Tokenizer => MiniLmVocab.Tokenizer;

    private static (string Text, int[] Ids, string[] Tokens) Reference(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", file)));
        var root = doc.RootElement;
        return (root.GetProperty("text").GetString()!,
            root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public void Encode_ThisMovieIsSuperb_BertIds()
    {
        var encoded = Tokenizer.Encode("This movie is superb");
        Assert.Equal([101, 2023, 3185, 2003, 21688, 102], encoded.Ids);
        Assert.Equal(["[CLS]", "this", "movie", "is", "superb", "[SEP]"], encoded.Tokens);
        Assert.Equal([0, 0, 0, 0, 0, 0], encoded.TokenTypeIds);
        Assert.Equal([1, 1, 1, 1, 1, 1], encoded.AttentionMask);
        Assert.Equal([true, false, false, false, false, true], encoded.Special);
        Assert.False(encoded.Truncated);
    }

    [Theory]
    [InlineData("text1_n50.json")]
    [InlineData("text2_n50.json")]
    [InlineData("text3_n50.json")]
    public void Encode_ReferenceTexts_MatchHuggingFaceIdsAndTokens(string file)
    {
        var (text, ids, tokens) = Reference(file);
        var encoded = Tokenizer.Encode(text);
        Assert.Equal(ids, encoded.Ids);
        Assert.Equal(tokens, encoded.Tokens);
    }

    [Fact]
    public void Encode_Offsets_PointIntoTheOriginalText()
    {
        const string text = "A noisy, hideous, and viciously cumbersome movie";
        var encoded = Tokenizer.Encode(text);
        var spans = Enumerable.Range(0, encoded.Length).Select(i => text[encoded.Starts[i]..encoded.Ends[i]]).ToArray();
        Assert.Equal(["", "A", "noisy", ",", "hideous", ",", "and", "vicious", "ly", "cum", "bers", "ome", "movie", ""], spans);
        Assert.Equal((0, 0), (encoded.Starts[0], encoded.Ends[0]));
        Assert.Equal((0, 0), (encoded.Starts[^1], encoded.Ends[^1]));
    }

    [Fact]
    public void Encode_AccentsAndCase_OffsetsSurviveNormalisation()
    {
        var encoded = Tokenizer.Encode("Héllo WORLD");
        Assert.Equal(["[CLS]", "hello", "world", "[SEP]"], encoded.Tokens);
        Assert.Equal([101, 7592, 2088, 102], encoded.Ids);
        Assert.Equal((0, 5), (encoded.Starts[1], encoded.Ends[1]));
        Assert.Equal((6, 11), (encoded.Starts[2], encoded.Ends[2]));
    }

    [Fact]
    public void Encode_DecomposedAccent_SpanIncludesTheCombiningMark()
    {
        // "He" + U+0301 + "llo": six UTF-16 units normalise to the five of "hello".
        const string text = "He\u0301llo wORLD";
        var encoded = Tokenizer.Encode(text);
        Assert.Equal([101, 7592, 2088, 102], encoded.Ids);
        Assert.Equal((0, 6), (encoded.Starts[1], encoded.Ends[1]));
        Assert.Equal("wORLD", text[encoded.Starts[2]..encoded.Ends[2]]);
    }

    [Fact]
    public void Encode_SurrogatesAndCjk_OffsetsCoverWholeCharacters()
    {
        const string text = "I 😀 日本";
        var encoded = Tokenizer.Encode(text);
        var spans = Enumerable.Range(1, encoded.Length - 2).Select(i => text[encoded.Starts[i]..encoded.Ends[i]]).ToArray();
        Assert.Equal(["I", "😀", "日", "本"], spans);
        Assert.Equal(Tokenizer.UnkId, encoded.Ids[2]);
    }

    [Fact]
    public void Encode_LineBreaksAndTabs_SeparateWords()
    {
        var encoded = Tokenizer.Encode("good\nmovie\tok");
        Assert.Equal(["[CLS]", "good", "movie", "ok", "[SEP]"], encoded.Tokens);
        Assert.Equal((5, 10), (encoded.Starts[2], encoded.Ends[2]));
    }

    [Fact]
    public void Encode_AsciiSymbols_AreTokensAsInHuggingFace()
    {
        var encoded = Tokenizer.Encode("$5 + 3 = 8");
        Assert.Equal(["[CLS]", "$", "5", "+", "3", "=", "8", "[SEP]"], encoded.Tokens);
        Assert.Equal([101, 1002, 1019, 1009, 1017, 1027, 1022, 102], encoded.Ids);
    }

    [Fact]
    public void Encode_Pair_TokenTypesAndSegments()
    {
        var encoded = Tokenizer.Encode("This movie", "is superb");
        Assert.Equal([101, 2023, 3185, 102, 2003, 21688, 102], encoded.Ids);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1], encoded.TokenTypeIds);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1], encoded.Segments);
        Assert.Equal([true, false, false, true, false, false, true], encoded.Special);
        Assert.Equal((3, 9), (encoded.Starts[5], encoded.Ends[5]));
        Assert.Equal("superb", encoded.SegmentText(1)[encoded.Starts[5]..encoded.Ends[5]]);
    }

    [Fact]
    public void Encode_OverLimitWithoutTruncate_ThrowsNamingTextLimitAndCount()
    {
        var text = string.Join(' ', Enumerable.Repeat("movie", 600));
        var ex = Assert.Throws<InvalidExplainRequestException>(() => Tokenizer.Encode(text));
        Assert.Equal("text", ex.Field);
        Assert.Contains("602", ex.Message);
        Assert.Contains("512", ex.Message);
        Assert.Contains("truncate", ex.Message);
    }

    [Fact]
    public void Encode_OverModelLimit_UsesTheModelLimit()
    {
        var ex = Assert.Throws<InvalidExplainRequestException>(() => Tokenizer.Encode("This movie is superb", maxTokens: 5));
        Assert.Contains("6 tokens", ex.Message);
        Assert.Contains("limit of 5", ex.Message);
    }

    [Fact]
    public void Encode_Truncate_CutsToLimitAndSaysSo()
    {
        var text = string.Join(' ', Enumerable.Repeat("movie", 600));
        var encoded = Tokenizer.Encode(text, truncate: true);
        Assert.Equal(512, encoded.Length);
        Assert.True(encoded.Truncated);
        Assert.Equal(102, encoded.Ids[^1]);
        Assert.Equal(101, encoded.Ids[0]);

        var shortOne = Tokenizer.Encode("This movie is superb", maxTokens: 4, truncate: true);
        Assert.Equal([101, 2023, 3185, 102], shortOne.Ids);
        Assert.True(shortOne.Truncated);
    }

    [Fact]
    public void Encode_PairTruncate_LongestFirst()
    {
        // 4 + 2 pieces + 3 specials = 9 > 7: two tokens go, both from the longer first segment.
        var encoded = Tokenizer.Encode("this movie is superb", "good film", maxTokens: 7, truncate: true);
        Assert.Equal([101, 2023, 3185, 102, 2204, 2143, 102], encoded.Ids);
        Assert.True(encoded.Truncated);
    }

    [Fact]
    public void Encode_EmptyText_OnlySpecialTokens()
    {
        Assert.Equal([101, 102], Tokenizer.Encode("").Ids);
    }

    [Fact]
    public void SpecialIds_AreBertUncased()
    {
        Assert.Equal((0, 100, 101, 102, 103), (Tokenizer.PadId, Tokenizer.UnkId, Tokenizer.ClsId, Tokenizer.SepId, Tokenizer.MaskId));
    }

    [Fact]
    public void BaselineIds_ReplaceAllButSpecialTokens()
    {
        var encoded = Tokenizer.Encode("This movie is superb");
        Assert.Equal([101, 0, 0, 0, 0, 102], encoded.BaselineIds(Tokenizer.PadId));
        Assert.Equal([101, 103, 103, 103, 103, 102], encoded.BaselineIds(Tokenizer.MaskId));
    }

    [Fact]
    public void Create_FromStream_SameAsFromPath()
    {
        using var stream = File.OpenRead(MiniLmVocab.VocabPath);
        var fromStream = BertTextTokenizer.Create(stream, lowerCase: true);
        Assert.Equal(Tokenizer.Encode("It's a heartfelt film").Ids, fromStream.Encode("It's a heartfelt film").Ids);
    }

    [Fact]
    public void Create_Cased_KeepsCaseAndAccents()
    {
        var cased = BertTextTokenizer.Create(MiniLmVocab.VocabPath, lowerCase: false);
        // The uncased vocabulary has no "Movie": a cased tokenizer must not find it lower-cased.
        Assert.NotEqual(Tokenizer.Encode("Movie").Ids, cased.Encode("Movie").Ids);
    }

    [Fact]
    public void Create_MissingFile_Throws()
    {
        Assert.Throws<FileNotFoundException>(() => BertTextTokenizer.Create(Path.Combine(Path.GetTempPath(), "no-such-vocab.txt"), true));
    }
}
