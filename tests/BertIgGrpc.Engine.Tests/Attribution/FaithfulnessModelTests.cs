using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>
/// <see cref="ExplainRequestOptions.Faithfulness"/> on a model: the scores equal probabilities computed by hand from
/// separate predictions of the masked ids, the forward rows run in batches within the memory budget, and they count
/// in <c>BertIg:Limits:MaxTokenSteps</c>.
/// </summary>
public class FaithfulnessModelTests
{
    private const string Text = "A noisy, hideous, and viciously cumbersome movie"; // 14 tokens, 12 of them text

    [Theory]
    [InlineData(BaselineKind.Pad)]
    [InlineData(BaselineKind.Mask)]
    public async Task ExplainAsync_Faithfulness_EqualsPredictionsOfTheMaskedIds(BaselineKind baseline)
    {
        using var model = MiniLmClassifier.CreateExplainer();
        var explanation = await model.ExplainAsync(new ExplainRequestOptions { Text = Text, Steps = 16, Baseline = baseline, Faithfulness = true });
        var scores = explanation.Faithfulness!;
        var target = explanation.TargetIndex;
        var encoded = model.Tokenizer.Encode(Text);
        var replacementId = baseline == BaselineKind.Mask ? model.Tokenizer.MaskId : model.Tokenizer.PadId;

        // The ranking, from the public result: text tokens by attribution, highest first, earlier first on ties.
        var ranking = explanation.Tokens.Select((t, i) => (t, i)).Where(x => !x.t.Special)
            .OrderByDescending(x => x.t.Attribution).Select(x => x.i).ToArray();
        int[] expectedTokens = [2, 3, 4, 5, 6]; // ceil(12 x 10% ... 50%)
        Assert.Equal(expectedTokens, scores.Points.Select(p => p.Tokens));
        Assert.Equal(baseline == BaselineKind.Mask ? "[MASK]" : "[PAD]", scores.ReplacementToken);

        var rows = new List<int[]> { encoded.Ids };
        foreach (var k in expectedTokens)
        {
            var top = ranking[..k];
            rows.Add(encoded.Ids.Select((id, i) => top.Contains(i) ? replacementId : id).ToArray());
            rows.Add(encoded.Ids.Select((id, i) => top.Contains(i) || encoded.Special[i] ? id : replacementId).ToArray());
        }

        foreach (var random in FaithfulnessScoring.RandomRanks(encoded.Special))
        {
            foreach (var k in expectedTokens)
            {
                var top = random[..k];
                rows.Add(encoded.Ids.Select((id, i) => top.Contains(i) ? replacementId : id).ToArray());
                rows.Add(encoded.Ids.Select((id, i) => top.Contains(i) || encoded.Special[i] ? id : replacementId).ToArray());
            }
        }

        // One separate prediction per masked text.
        var p = new List<double>();
        foreach (var row in rows)
        {
            var plan = new PredictionPlan(model, [WithIds(encoded, row)], row.Length);
            p.Add((await model.PredictAsync(plan))[0].Probabilities[target]);
        }

        const double Tolerance = 1e-5; // float probabilities, batch of one vs batches of 32
        for (var point = 0; point < 5; point++)
        {
            var actual = scores.Points[point];
            Assert.Equal(p[0] - p[1 + 2 * point], actual.Comprehensiveness, Tolerance);
            Assert.Equal(p[0] - p[2 + 2 * point], actual.Sufficiency, Tolerance);
            var randomComprehensiveness = Enumerable.Range(1, 10).Average(r => p[0] - p[1 + 2 * (r * 5 + point)]);
            var randomSufficiency = Enumerable.Range(1, 10).Average(r => p[0] - p[2 + 2 * (r * 5 + point)]);
            Assert.Equal(randomComprehensiveness, actual.RandomComprehensiveness, Tolerance);
            Assert.Equal(randomSufficiency, actual.RandomSufficiency, Tolerance);
        }

        Assert.Equal(scores.Points.Average(x => x.Comprehensiveness), scores.ComprehensivenessAopc, 12);
        Assert.Equal(scores.Points.Average(x => x.Sufficiency), scores.SufficiencyAopc, 12);
        Assert.Equal(scores.Points.Average(x => x.RandomComprehensiveness), scores.RandomComprehensivenessAopc, 12);
        Assert.Equal(scores.Points.Average(x => x.RandomSufficiency), scores.RandomSufficiencyAopc, 12);
    }

    [Fact]
    public async Task ExplainAsync_Faithfulness_RunsItsRowsInBatchesWithinTheMemoryBudget()
    {
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxRunMemoryMB = 1 }, bytesPerToken: 25_000); // 2 rows of 14 tokens per run

        var plain = await model.ExplainAsync(new ExplainRequestOptions { Text = Text, Steps = 4 });
        var forwardRuns = runtime.ForwardRows.Count;
        var scored = await model.ExplainAsync(new ExplainRequestOptions { Text = Text, Steps = 4, Faithfulness = true });

        Assert.Null(plain.Faithfulness);
        Assert.NotNull(scored.Faithfulness);
        var faithfulnessRuns = runtime.ForwardRows.Skip(2 * forwardRuns).ToArray();
        Assert.Equal(FaithfulnessScoring.RowsPerText, faithfulnessRuns.Sum());
        Assert.All(faithfulnessRuns, rows => Assert.InRange(rows, 1, model.MaxRowsPerRun(14)));
        Assert.Equal(plain.Tokens, scored.Tokens);
    }

    [Fact]
    public void Plan_Faithfulness_CountsItsForwardRowsInMaxTokenSteps()
    {
        var rows = FaithfulnessScoring.RowsPerText;
        var (model, runtime) = Create(new BertIgLimitsOptions { MaxTokenSteps = 14 * (50 + rows) });

        Assert.Equal(14 * 50, model.Plan(new ExplainRequestOptions { Text = Text, Steps = 50 }).TokenSteps);
        Assert.Equal(14 * (50 + rows), model.Plan(new ExplainRequestOptions { Text = Text, Steps = 50, Faithfulness = true }).TokenSteps);
        var ex = Assert.Throws<RequestLimitExceededException>(() => model.Plan(new ExplainRequestOptions { Text = Text, Steps = 51, Faithfulness = true }));
        Assert.Equal(14 * (51 + rows), ex.Figure);
        Assert.Contains($"{rows} faithfulness rows", ex.Message);
        Assert.Contains("at most 50 steps", ex.Message);

        var (small, _) = Create(new BertIgLimitsOptions { MaxTokenSteps = 14 * rows });
        var tooLong = Assert.Throws<InvalidExplainRequestException>(() => small.Plan(new ExplainRequestOptions { Text = Text, Steps = 1, Faithfulness = true }));
        Assert.Equal("text", tooLong.Field);
        Assert.Contains("faithfulness", tooLong.Message);
        Assert.Equal(0, runtime.ForwardCalls + runtime.GradientCalls);
    }

    private static (ExplainerModel Model, CubicTestRuntime Runtime) Create(BertIgLimitsOptions limits, long bytesPerToken = 0)
        => CubicTestModel.Create(new RuntimeSettings { Limits = limits }, bytesPerToken);

    /// <summary>A copy of <paramref name="encoded"/> with other ids (a perturbed text).</summary>
    internal static EncodedText WithIds(EncodedText encoded, int[] ids) => new()
    {
        Ids = ids,
        TokenTypeIds = encoded.TokenTypeIds,
        AttentionMask = encoded.AttentionMask,
        Tokens = encoded.Tokens,
        Starts = encoded.Starts,
        Ends = encoded.Ends,
        Segments = encoded.Segments,
        Special = encoded.Special,
        Truncated = encoded.Truncated,
        Text = encoded.Text,
    };
}
