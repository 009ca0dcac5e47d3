using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Models;

/// <summary>The ERASER faithfulness scores of an explanation (<see cref="FaithfulnessScoring"/>, docs/faithfulness.md).</summary>
public sealed partial class ExplainerModel
{
    /// <summary>
    /// The faithfulness of the ranking by <paramref name="attributions"/> (one per token of <see cref="ExplanationPlan.Encoded"/>,
    /// the stitched whole text's for a plan in windows) towards <paramref name="target"/>: the perturbed texts replace tokens by
    /// the request's baseline token ([PAD] for the zero baseline), and each is scored by the probability of the target as
    /// the text itself is classified: alone, or for a text in windows by the softmax of the mean of its windows' logits,
    /// the windows being the same spans as the original text's (a perturbed text has as many tokens).
    /// </summary>
    internal async Task<FaithfulnessScores> FaithfulnessAsync(ExplanationPlan plan, IReadOnlyList<double> attributions, int target, CancellationToken cancellationToken)
    {
        var encoded = plan.Encoded;
        var rows = FaithfulnessScoring.Rows(encoded.Ids, plan.Input.BaselineIds ?? encoded.BaselineIds(_tokenizer.PadId), encoded.Special, attributions);
        var probabilities = plan.Windowed is { } windowed
            ? await WindowedProbabilitiesAsync(rows, windowed, target, cancellationToken).ConfigureAwait(false)
            : (await LogitsAsync(rows, Enumerable.Repeat(encoded.TokenTypeIds, rows.Length).ToArray(), cancellationToken).ConfigureAwait(false))
                .Select(l => Logits.Softmax(l)[target]).ToArray();
        return FaithfulnessScoring.Score(probabilities, encoded.Special.Count(s => !s), FaithfulnessScoring.ReplacementToken(plan.Request.Baseline));
    }

    /// <summary>
    /// p(<paramref name="target"/>) of each whole-text row in <paramref name="text"/>'s windows: every row cut into the
    /// windows (<see cref="EncodedText.WindowOf"/>), all of them sent to the shared forward batcher together (runs of one
    /// padded length within the memory budget), each row then classified by <see cref="WindowMeanLogits"/>.
    /// </summary>
    private async Task<double[]> WindowedProbabilitiesAsync(int[][] rows, WindowedText text, int target, CancellationToken cancellationToken)
    {
        var windows = text.Windows;
        var count = windows.Count;
        var ids = new int[rows.Length * count][];
        var types = new int[ids.Length][];
        for (var r = 0; r < rows.Length; r++)
        {
            for (var w = 0; w < count; w++)
            {
                ids[r * count + w] = EncodedText.WindowOf(rows[r], windows[w].Tokens.TokenStart, windows[w].Tokens.TokenEnd);
                types[r * count + w] = windows[w].Encoded.TokenTypeIds;
            }
        }

        var logits = await LogitsAsync(ids, types, cancellationToken).ConfigureAwait(false);
        return Enumerable.Range(0, rows.Length)
            .Select(r => Logits.Softmax(WindowMeanLogits(new ArraySegment<float[]>(logits, r * count, count)))[target]).ToArray();
    }
}
