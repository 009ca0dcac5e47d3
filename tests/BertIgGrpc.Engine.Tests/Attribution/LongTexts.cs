using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>Long review texts for LONG_TEXT_WINDOWS tests, and checks shared by the engine's window tests.</summary>
internal static class LongTexts
{
    private static readonly string[] Sentences =
    [
        "A noisy, hideous, and viciously cumbersome movie that nobody should sit through.",
        "The performances are unforgettable; the 1970s score by Ennio is superb.",
        "Unfortunately, the screenplay drags in its second half (around 94 minutes in).",
        "Still, the cinematography is breathtaking and the ending is genuinely moving!",
        "Critics called it overwrought, but audiences adored its melodramatic flourishes.",
    ];

    /// <summary>The token limit of <see cref="WindowsModel"/>: small, so that a 1,500-token text makes dozens of windows.</summary>
    public const int WindowsModelMaxTokens = 40;

    /// <summary>A <see cref="CubicTestModel"/> of <see cref="WindowsModelMaxTokens"/> tokens; no token-steps limit unless <paramref name="limits"/> says.</summary>
    public static (ExplainerModel Model, CubicTestRuntime Runtime) WindowsModel(BertIgLimitsOptions? limits = null, long bytesPerToken = 0)
        => CubicTestModel.Create(new RuntimeSettings { Limits = limits ?? new BertIgLimitsOptions { MaxTokenSteps = 0 } }, bytesPerToken, WindowsModelMaxTokens);

    /// <summary>A LONG_TEXT_WINDOWS request: Riemann middle, <paramref name="steps"/> steps.</summary>
    public static ExplainRequestOptions WindowsRequest(string text, int steps = 4, bool allTargets = false) => new()
    {
        Text = text,
        Steps = steps,
        Method = IntegrationMethod.RiemannMiddle,
        LongText = LongTextMode.Windows,
        AllTargets = allTargets,
    };

    /// <summary>A text of about <paramref name="tokens"/> MiniLM tokens (at least that many), sentences cycled with a running number.</summary>
    public static string OfTokens(int tokens)
    {
        var parts = new List<string>();
        var count = 0;
        for (var i = 0; count < tokens; i++)
        {
            var sentence = $"Part {i + 1}: {Sentences[i % Sentences.Length]}";
            parts.Add(sentence);
            count += MiniLmVocab.Tokenizer.CountTokens(sentence);
        }

        // Sentences separated by spaces, and a line break after every third.
        var text = parts[0];
        for (var i = 1; i < parts.Count; i++)
        {
            text += (i % 3 == 0 ? "\n" : " ") + parts[i];
        }

        return text;
    }

    /// <summary>
    /// Asserts that the tokens cover the whole text: they are the text's own tokens (<c>[CLS] ... [SEP]</c>) and each text
    /// token's span slices the text to the token (ignoring case; the word part for a <c>##</c> piece).
    /// </summary>
    public static void AssertCoversText(string text, IReadOnlyList<TokenAttribution> tokens)
    {
        var whole = MiniLmVocab.Tokenizer.EncodeWhole(text);
        Assert.Equal(whole.Length, tokens.Count);
        Assert.Equal(whole.Tokens, tokens.Select(t => t.Token));
        Assert.True(tokens[0].Special && tokens[^1].Special);
        foreach (var token in tokens.Skip(1).SkipLast(1))
        {
            var piece = token.Token.StartsWith("##", StringComparison.Ordinal) ? token.Token[2..] : token.Token;
            Assert.Equal(piece, text[token.Start..token.End], StringComparer.OrdinalIgnoreCase);
        }

        Assert.True(tokens.Skip(1).SkipLast(1).All(t => !t.Special));
    }
}
