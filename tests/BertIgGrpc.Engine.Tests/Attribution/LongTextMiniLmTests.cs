using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Models;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// LONG_TEXT_WINDOWS on the real MiniLM classifier (512 tokens): a 1,500-token text is attributed token by token with
/// offsets into it, and every window's figures equal those of explaining that window's text alone.
/// </summary>
public sealed class LongTextMiniLmTests : IDisposable
{
    private readonly ExplainerModel _model = MiniLmClassifier.CreateExplainer();

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task Explain_1500Tokens_EveryTokenWithOffsetsAndEachWindowEqualsItsTextAlone()
    {
        var text = LongTexts.OfTokens(1500);
        var request = new ExplainRequestOptions { Text = text, Steps = 4, LongText = LongTextMode.Windows };
        var explanation = await _model.ExplainAsync(request);

        Assert.InRange(explanation.Tokens.Count, 1502, 1600);
        LongTexts.AssertCoversText(text, explanation.Tokens);
        Assert.Equal(5, explanation.Windows.Count); // 510-token windows 255 apart, the last one ending the text
        Assert.Equal(explanation.Windows.Count, explanation.Prediction.Windows);

        var tokens = explanation.Tokens;
        var stitched = new int[tokens.Count];
        foreach (var window in explanation.Windows)
        {
            var alone = await _model.ExplainAsync(request with { Text = text[window.Start..window.End], LongText = LongTextMode.Reject, TargetIndex = explanation.TargetIndex });
            Assert.Equal(window.TokenEnd - window.TokenStart + 2, alone.Tokens.Count);
            Assert.Equal(alone.ScoreInput, window.ScoreInput, 1e-4);
            Assert.Equal(alone.ScoreBaseline, window.ScoreBaseline, 1e-4);
            Assert.Equal(alone.ConvergenceDelta, window.ConvergenceDelta, 1e-4);
            for (var k = 1; k < alone.Tokens.Count - 1; k++)
            {
                var index = window.TokenStart + k - 1;
                Assert.Equal(tokens[index].Token, alone.Tokens[k].Token);
                Assert.Equal(tokens[index].Start, alone.Tokens[k].Start + window.Start);
                if (FarthestFromAnEdge(explanation.Windows, index) == window.Index)
                {
                    Assert.Equal(alone.Tokens[k].Attribution, tokens[index].Attribution, 1e-5);
                    stitched[index]++;
                }
            }
        }

        Assert.All(stitched.Skip(1).SkipLast(1), n => Assert.Equal(1, n));
    }

    private static int FarthestFromAnEdge(IReadOnlyList<ExplanationWindow> windows, int token)
        => windows.Where(w => token >= w.TokenStart && token < w.TokenEnd)
            .Select(w => (w.Index, Distance: Math.Min(token - w.TokenStart, w.TokenEnd - 1 - token)))
            .OrderByDescending(w => w.Distance).ThenBy(w => w.Index).First().Index;
}
