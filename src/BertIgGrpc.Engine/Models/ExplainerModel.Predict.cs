using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Models;

/// <summary>Classification: texts (or a long text's windows) through the forward graph in padded batches.</summary>
public sealed partial class ExplainerModel
{
    /// <summary>Texts per forward run in <see cref="PredictAsync(PredictionPlan, CancellationToken)"/> (fewer when the memory budget says so).</summary>
    private const int PredictBatchSize = 32;

    /// <summary>
    /// Validates and tokenizes texts for <see cref="PredictAsync(PredictionPlan, CancellationToken)"/> and checks them against
    /// <c>BertIg:Limits:MaxPredictTokens</c>, without running the model.
    /// </summary>
    /// <exception cref="InvalidExplainRequestException">A text is null, over the token limit without <paramref name="truncate"/>, or alone over <c>MaxPredictTokens</c> (field <c>texts</c>).</exception>
    /// <exception cref="RequestLimitExceededException">The texts together are over <c>BertIg:Limits:MaxPredictTokens</c>.</exception>
    public PredictionPlan PlanPrediction(IReadOnlyList<string> texts, bool truncate = false)
        => PlanPrediction(texts, truncate ? LongTextMode.Truncate : LongTextMode.Reject);

    /// <summary>
    /// As <see cref="PlanPrediction(IReadOnlyList{string}, bool)"/>, with what happens to texts over the model's limit:
    /// <see cref="LongTextMode.Windows"/> classifies such a text by the mean of its windows' logits (windows
    /// <paramref name="windowStride"/> tokens apart, 0 for half a window); every window's tokens count towards <c>MaxPredictTokens</c>.
    /// </summary>
    /// <exception cref="InvalidExplainRequestException">As above; a stride out of range or set without windows (field <c>window_stride</c>).</exception>
    /// <exception cref="RequestLimitExceededException">The texts together are over <c>BertIg:Limits:MaxPredictTokens</c>.</exception>
    public PredictionPlan PlanPrediction(IReadOnlyList<string> texts, LongTextMode longText, int windowStride = 0)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _planner.PlanPrediction(texts, longText, windowStride);
    }

    /// <summary>Classifies texts in padded batches.</summary>
    /// <exception cref="InvalidExplainRequestException">A text is null or over the token limit without <paramref name="truncate"/> (field <c>texts</c>).</exception>
    /// <exception cref="RequestLimitExceededException">The texts together are over <c>BertIg:Limits:MaxPredictTokens</c>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the run in flight is stopped too).</exception>
    public Task<IReadOnlyList<Prediction>> PredictAsync(IReadOnlyList<string> texts, bool truncate = false, CancellationToken cancellationToken = default)
        => PredictAsync(PlanPrediction(texts, truncate), cancellationToken);

    /// <summary>
    /// Classifies texts planned by <see cref="PlanPrediction(IReadOnlyList{string}, LongTextMode, int)"/>, in padded batches
    /// within the memory budget; a text in windows gets the softmax of the mean of its windows' logits.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the run in flight is stopped too).</exception>
    public async Task<IReadOnlyList<Prediction>> PredictAsync(PredictionPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckOwner(plan.Model);
        var encoded = plan.Encoded;
        var logits = await LogitsAsync(encoded.Select(e => e.Ids).ToArray(), encoded.Select(e => e.TokenTypeIds).ToArray(), cancellationToken).ConfigureAwait(false);
        var predictions = new Prediction[plan.WindowCounts.Count];
        var row = 0;
        for (var t = 0; t < predictions.Length; t++)
        {
            var windows = plan.WindowCounts[t];
            predictions[t] = windows == 0
                ? Logits.ToPrediction(logits[row], Labels) with { Truncated = plan.Encoded[row].Truncated }
                : WindowPrediction(logits.Skip(row).Take(windows).ToArray());
            row += Math.Max(1, windows);
        }

        return predictions;
    }

    /// <summary>The prediction for a text in windows: the softmax of <see cref="WindowMeanLogits"/>.</summary>
    internal Prediction WindowPrediction(IReadOnlyList<float[]> windowLogits)
        => Logits.ToPrediction(WindowMeanLogits(windowLogits), Labels) with { Windows = windowLogits.Count };

    /// <summary>A text in windows' logits: the mean of its windows' logits (mean in double, rounded to float as a row's logits are).</summary>
    internal static float[] WindowMeanLogits(IReadOnlyList<float[]> windowLogits)
    {
        var mean = new float[windowLogits[0].Length];
        for (var c = 0; c < mean.Length; c++)
        {
            mean[c] = (float)windowLogits.Average(l => (double)l[c]);
        }

        return mean;
    }

    /// <summary>
    /// The logits of every row (ids and token types of one length per row), in padded batches of at most
    /// <see cref="PredictBatchSize"/> rows within the memory budget, shared with concurrent predictions on this model
    /// (<see cref="RuntimeSettings.PredictBatchWaitMs"/>); each row's logits are those of the row run alone.
    /// </summary>
    internal Task<float[][]> LogitsAsync(IReadOnlyList<int[]> ids, IReadOnlyList<int[]> types, CancellationToken cancellationToken)
        => _predictBatcher.LogitsAsync(ids, types, cancellationToken);
}
