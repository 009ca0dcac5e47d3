using BertIgGrpc.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

/// <summary>long_text = LONG_TEXT_WINDOWS through the real server: Explain, ExplainUnary and Predict, and the refusals.</summary>
[Collection(ServerCollection.Name)]
public sealed class LongTextTests(ServerFixture server)
{
    private static readonly string[] Sentences =
    [
        "A noisy, hideous, and viciously cumbersome movie that nobody should sit through.",
        "The performances are unforgettable; the 1970s score is superb.",
        "Unfortunately, the screenplay drags in its second half.",
        "Still, the cinematography is breathtaking and the ending is genuinely moving!",
    ];

    /// <summary>About 700 tokens: over the default model's 512, two windows at the default stride.</summary>
    private static readonly string LongText = string.Join(' ', Enumerable.Range(0, 44).Select(i => $"Part {i + 1}: {Sentences[i % Sentences.Length]}"));

    [Fact]
    public async Task Explain_Windows_ProgressCountsEveryWindowsStepsAndTokensCoverTheText()
    {
        var request = new ExplainRequest { Text = LongText, NSteps = 4, InternalBatchSize = 2, LongText = Contracts.V1.LongText.Windows };

        using var call = server.Client.Explain(request);
        var events = await call.ResponseStream.ReadAllAsync().ToListAsync();

        var result = events[^1].Result;
        Assert.NotNull(result);
        var windows = result.Windows;
        Assert.InRange(windows.Count, 2, 4);
        var progress = events[..^1].Select(e => e.Progress).ToList();
        Assert.True(progress.Count >= windows.Count, $"{progress.Count} progress events for {windows.Count} windows");
        Assert.All(progress, p => Assert.Equal(windows.Count * 4, p.StepsTotal));
        Assert.All(progress, p => Assert.Equal(result.Tokens.Count, p.Tokens.Count));
        Assert.Equal(windows.Count * 4, progress[^1].StepsDone);
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.Second.StepsDone > p.First.StepsDone));

        // Tokens cover the whole text, with offsets into it; each window is a slice of them.
        Assert.True(result.Tokens.Count > 600);
        Assert.Equal("[CLS]", result.Tokens[0].Token);
        Assert.Equal("[SEP]", result.Tokens[^1].Token);
        foreach (var token in result.Tokens.Skip(1).SkipLast(1))
        {
            var piece = token.Token.StartsWith("##", StringComparison.Ordinal) ? token.Token[2..] : token.Token;
            Assert.Equal(piece, LongText[token.Start..token.End], StringComparer.OrdinalIgnoreCase);
        }

        Assert.Equal((1, result.Tokens.Count - 1), (windows[0].TokenStart, windows[^1].TokenEnd));
        Assert.All(windows, w =>
        {
            Assert.Equal((result.Tokens[w.TokenStart].Start, result.Tokens[w.TokenEnd - 1].End), (w.Start, w.End));
            Assert.Equal(4, w.NSteps);
            Assert.Equal(2, w.Prediction.Logits.Count);
        });
        Assert.Equal(windows.Count, result.Prediction.Windows);
        Assert.Equal(result.Prediction.Label, result.TargetLabel);
        Assert.Equal(windows.Average(w => w.ScoreInput), result.ScoreInput, 6);
        Assert.Equal(windows.MaxBy(w => Math.Abs(w.ConvergenceDelta))!.ConvergenceDelta, result.ConvergenceDelta);
        Assert.NotEmpty(result.Words);
    }

    [Fact]
    public async Task ExplainUnaryAndPredict_Windows_AgreeWithTheStreamAndTheWindowsAlone()
    {
        var request = new ExplainRequest { Text = LongText, NSteps = 2, LongText = Contracts.V1.LongText.Windows, WindowStride = 300 };
        using var call = server.Client.Explain(request);
        var streamed = (await call.ResponseStream.ReadAllAsync().LastAsync()).Result;
        var unary = (await server.Client.ExplainUnaryAsync(ExplainUnaryRequest.Parser.ParseFrom(request.ToByteArray()))).Result;
        streamed.ElapsedMs = 0;
        unary.ElapsedMs = 0;
        Assert.Equal(streamed, unary);
        Assert.All(unary.Windows.Zip(unary.Windows.Skip(1)), p => Assert.InRange(p.Second.TokenStart - p.First.TokenStart, 1, 300));

        var predicted = (await server.Client.PredictAsync(new PredictRequest { Texts = { LongText, "superb" }, LongText = Contracts.V1.LongText.Windows, WindowStride = 300 })).Predictions;
        Assert.Equal(unary.Windows.Count, predicted[0].Windows);
        Assert.Equal(unary.Prediction.Label, predicted[0].Label);
        Assert.Equal(0, predicted[1].Windows);

        // The whole-text prediction is the mean of the windows' logits: the windows' texts predicted alone.
        var alone = (await server.Client.PredictAsync(new PredictRequest { Texts = { unary.Windows.Select(w => LongText[w.Start..w.End]) } })).Predictions;
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(alone.Average(p => p.Logits[c]), predicted[0].Logits[c], 4);
            Assert.Equal(unary.Prediction.Logits[c], predicted[0].Logits[c], 4);
        }

        var truncated = (await server.Client.PredictAsync(new PredictRequest { Texts = { LongText }, LongText = Contracts.V1.LongText.Truncate })).Predictions[0];
        Assert.True(truncated.Truncated);
        Assert.Equal(0, truncated.Windows);
    }

    [Fact]
    public async Task ExplainUnary_WindowsWithAllTargets_EveryClassOverTheWholeTextAndTheTargetsEntryIsTheResult()
    {
        var request = new ExplainUnaryRequest { Text = LongText, NSteps = 2, LongText = Contracts.V1.LongText.Windows, AllTargets = true };
        var result = (await server.Client.ExplainUnaryAsync(request)).Result;

        Assert.InRange(result.Windows.Count, 2, 4);
        Assert.Equal([0, 1], result.PerTarget.Select(p => p.Index));
        Assert.All(result.PerTarget, p => Assert.Equal(result.Tokens.Select(t => (t.Token, t.Start, t.End)), p.Tokens.Select(t => (t.Token, t.Start, t.End))));
        var main = result.PerTarget[result.TargetIndex];
        Assert.Equal(result.Tokens, main.Tokens);
        Assert.Equal(result.Words, main.Words);
        Assert.Equal((result.ScoreInput, result.ConvergenceDelta, result.AttributionSum), (main.ScoreInput, main.ConvergenceDelta, main.AttributionSum));

        // The other class's list is the windows explanation of that class alone.
        var other = result.PerTarget[1 - result.TargetIndex];
        var alone = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = LongText, NSteps = 2, LongText = Contracts.V1.LongText.Windows, TargetIndex = other.Index })).Result;
        Assert.Empty(alone.PerTarget);
        Assert.Equal(alone.Tokens.Select(t => t.Attribution), other.Tokens.Select(t => t.Attribution), (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.Equal(alone.ScoreInput, other.ScoreInput, 4);
    }

    [Fact]
    public async Task Explain_WindowsWithFaithfulness_ScoresTheWholeTextAndProgressCompletes()
    {
        // 2 windows of at most 512 tokens: (4 steps + 111 faithfulness rows) x ~1,000 tokens is within the default MaxTokenSteps.
        var request = new ExplainRequest { Text = LongText, NSteps = 4, LongText = Contracts.V1.LongText.Windows, Faithfulness = true };

        using var call = server.Client.Explain(request);
        var events = await call.ResponseStream.ReadAllAsync().ToListAsync();

        var result = events[^1].Result;
        Assert.NotNull(result);
        Assert.InRange(result.Windows.Count, 2, 4);
        var progress = events[..^1].Select(e => e.Progress).ToList();
        Assert.NotEmpty(progress);
        Assert.Equal(result.Windows.Count * 4, progress[^1].StepsTotal);
        Assert.Equal(progress[^1].StepsTotal, progress[^1].StepsDone);

        // The ranking is over the whole text's tokens: k counts all of its text tokens, not one window's.
        var faithfulness = result.Faithfulness;
        Assert.NotNull(faithfulness);
        var textTokens = result.Tokens.Count(t => !t.Special);
        Assert.True(textTokens > 600, $"{textTokens} text tokens");
        Assert.Equal(
            new[] { 10, 20, 30, 40, 50 }.Select(percent => (int)Math.Ceiling(percent * textTokens / 100.0)),
            faithfulness.Points.Select(p => p.Tokens));
        Assert.Equal(10, faithfulness.RandomRankings);
        Assert.Equal("[PAD]", faithfulness.ReplacementToken);
        Assert.All(faithfulness.Points, p =>
        {
            Assert.InRange(p.Comprehensiveness, -1, result.Prediction.Probability + 1e-6);
            Assert.InRange(p.Sufficiency, -1, result.Prediction.Probability + 1e-6);
        });
        Assert.Equal(faithfulness.Points.Average(p => p.Comprehensiveness), faithfulness.ComprehensivenessAopc, 12);
        Assert.True(faithfulness.ComprehensivenessAopc > faithfulness.RandomComprehensivenessAopc,
            $"comprehensiveness AOPC {faithfulness.ComprehensivenessAopc:F4} should beat random {faithfulness.RandomComprehensivenessAopc:F4}");
    }

    [Fact]
    public async Task Windows_RefusedCombinations_InvalidArgumentNamingTheField()
    {
        ExplainUnaryRequest Windows() => new() { Text = LongText, NSteps = 2, LongText = Contracts.V1.LongText.Windows };
        await RpcAssert.InvalidFieldAsync("long_text", () => server.Client.ExplainUnaryAsync(Windows().With(r => r.Truncate = true)).ResponseAsync);
        var pair = await RpcAssert.InvalidFieldAsync("long_text", () => server.Client.ExplainUnaryAsync(Windows().With(r => r.TextPair = "a pair")).ResponseAsync);
        Assert.Contains("cannot be combined with text_pair", pair.Description, StringComparison.Ordinal);
        Assert.Contains("LONG_TEXT_TRUNCATE", pair.Description, StringComparison.Ordinal);
        await RpcAssert.InvalidFieldAsync("window_stride", () => server.Client.ExplainUnaryAsync(Windows().With(r => r.WindowStride = 510)).ResponseAsync);
        await RpcAssert.InvalidFieldAsync("window_stride", () => server.Client.ExplainUnaryAsync(Windows().With(r => { r.LongText = Contracts.V1.LongText.Unspecified; r.WindowStride = 100; })).ResponseAsync);
        await RpcAssert.InvalidFieldAsync("window_stride", () => server.Client.PredictAsync(new PredictRequest { Texts = { LongText }, LongText = Contracts.V1.LongText.Windows, WindowStride = 600 }).ResponseAsync);
        await RpcAssert.InvalidFieldAsync("long_text", () => server.Client.PredictAsync(new PredictRequest { Texts = { LongText }, LongText = Contracts.V1.LongText.Windows, Truncate = true }).ResponseAsync);
        await RpcAssert.InvalidFieldAsync("text", () => server.Client.ExplainUnaryAsync(Windows().With(r => r.LongText = Contracts.V1.LongText.Unspecified)).ResponseAsync);
    }

    [Fact]
    public async Task Windows_AllWindowsTokensTimesSteps_OverMaxTokenSteps_ResourceExhausted()
    {
        // About 1,400 tokens in 512-token windows 255 apart: 5 windows, ~2,500 tokens, x 100 steps is over 131,072.
        var text = string.Join(' ', Enumerable.Repeat(LongText, 2));
        var ex = await RpcAssert.ThrowsAsync(StatusCode.ResourceExhausted,
            () => server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = text, NSteps = 100, LongText = Contracts.V1.LongText.Windows }).ResponseAsync);

        Assert.Contains("windows", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("BertIg:Limits:MaxTokenSteps", ex.Status.Detail, StringComparison.Ordinal);
    }
}

internal static class MessageExtensions
{
    /// <summary>Returns <paramref name="message"/> after applying <paramref name="change"/> to it.</summary>
    public static T With<T>(this T message, Action<T> change)
    {
        change(message);
        return message;
    }
}
