using System.Diagnostics;
using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A <see cref="LongTextMode.Windows"/> explanation: the windows are classified first (the whole-text prediction is the
/// mean of their logits, and its class is the target unless the request names one), then integrated for that one target
/// in groups that share gradient runs, each group as many windows as one run may hold rows (so memory stays within the
/// budget however long the text); the result stitches each token's attribution from the window where it is farthest
/// from an edge. Faithfulness scores, when asked for, rank the stitched attributions (<see cref="ExplainerModel.FaithfulnessAsync"/>).
/// </summary>
internal sealed class WindowedExplanation(ExplainerModel model, LayerIntegratedGradients integratedGradients, ExplanationPlan plan, WindowedText text)
{
    private readonly double[]?[] _latest = new double[]?[text.Windows.Count];
    private int _textStepsBefore;
    private int _groupTextSteps;
    private readonly int _paths = text.Windows[0].Input.AllTargets ? model.Labels.Count : 1; // slots per window: a class each with all_targets

    public async Task<Explanation> RunAsync(IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var windows = text.Windows;
        var windowLogits = await model.LogitsAsync(
            windows.Select(w => w.Encoded.Ids).ToArray(), windows.Select(w => w.Encoded.TokenTypeIds).ToArray(), cancellationToken).ConfigureAwait(false);
        var prediction = model.WindowPrediction(windowLogits);
        var target = windows[0].Input.Target ?? prediction.Index;

        var settings = plan.Settings;
        // With all_targets each window takes one row per class in every step, so a group holds that many fewer windows.
        var groupSize = Math.Max(1, Math.Min(settings.InternalBatchSize, model.MaxRowsPerRun(windows.Max(w => w.Encoded.Length))) / _paths);
        var results = new IgResult[windows.Count];
        for (var first = 0; first < windows.Count; first += groupSize)
        {
            var count = Math.Min(groupSize, windows.Count - first);
            var inputs = windows.Skip(first).Take(count).Select(w => w.Input with { Target = target }).ToArray();
            var groupFirst = first;
            var groupProgress = progress is null ? null
                : new SynchronousProgress<IgProgress>(p => progress.Report(Progress(p, groupFirst, count, stopwatch.Elapsed)));
            var groupResults = await integratedGradients.AttributeAsync(inputs, settings, groupProgress, cancellationToken).ConfigureAwait(false);
            for (var t = 0; t < count; t++)
            {
                results[first + t] = groupResults[t];
                _latest[first + t] = groupResults[t].TokenAttributions;
            }

            _textStepsBefore += _groupTextSteps;
            _groupTextSteps = 0;
        }

        // Faithfulness ranks the stitched whole-text attributions (the headline's) and scores each perturbed text in the same windows.
        var faithfulness = plan.Request.Faithfulness
            ? await model.FaithfulnessAsync(plan, text.Stitch(w => results[w].TokenAttributions), target, cancellationToken).ConfigureAwait(false) : null;
        return Build(prediction, windowLogits, results, target, stopwatch.Elapsed) with { Faithfulness = faithfulness };
    }

    /// <summary>
    /// Progress over all windows: steps summed over the windows (those of finished groups, the running group's, and the
    /// planned steps of the groups to come; with all_targets, the mean over the classes), with the stitched running attributions (zeros for windows not yet started).
    /// </summary>
    private ExplainProgress Progress(IgProgress progress, int first, int count, TimeSpan elapsed)
    {
        for (var t = 0; t < count; t++)
        {
            if (progress.PartialTokenAttributions[t] is { } partial)
            {
                _latest[first + t] = partial;
            }
        }

        _groupTextSteps = progress.TextStepsTotal;
        var later = text.Windows.Count - first - count;
        // Text steps count every class's path; like all_targets without windows, progress counts a step once for all classes.
        var done = (_textStepsBefore + progress.TextStepsDone) / _paths;
        var total = (_textStepsBefore + progress.TextStepsTotal) / _paths + later * plan.Settings.Steps;
        return new ExplainProgress(done, total, TokenAggregation.Tokens(text.Whole, text.Stitch(w => _latest[w])), elapsed);
    }

    private Explanation Build(Prediction prediction, float[][] windowLogits, IgResult[] results, int target, TimeSpan elapsed)
    {
        using var activity = EngineTelemetry.StartResult();
        var whole = text.Whole;
        var headline = Combine(results);
        var windows = new ExplanationWindow[results.Length];
        for (var w = 0; w < windows.Length; w++)
        {
            var (window, result) = (text.Windows[w], results[w]);
            var (tokenStart, tokenEnd) = (window.Tokens.TokenStart, window.Tokens.TokenEnd);
            windows[w] = new ExplanationWindow(
                w, 1 + tokenStart, 1 + tokenEnd, whole.Starts[1 + tokenStart], whole.Ends[tokenEnd],
                Logits.ToPrediction(windowLogits[w], model.Labels), result.ScoreInput, result.ScoreBaseline, result.ConvergenceDelta, result.Steps);
        }

        // all_targets: every window carries one result per class in class order; each class is combined as the headline is.
        var perTarget = results[0].PerTarget is null ? [] : Enumerable.Range(0, results[0].PerTarget!.Count).Select(c =>
        {
            var combined = Combine(results.Select(r => r.PerTarget![c]).ToArray());
            return new TargetExplanation
            {
                Index = c,
                Label = model.Labels[c],
                Tokens = TokenAggregation.Tokens(whole, combined.Attributions),
                Words = TokenAggregation.Words(whole, combined.Attributions),
                ScoreInput = combined.ScoreInput,
                ScoreBaseline = combined.ScoreBaseline,
                ConvergenceDelta = combined.ConvergenceDelta,
                AttributionSum = combined.Attributions.Sum(),
                Steps = combined.Steps,
            };
        }).ToArray();

        var request = plan.Request;
        return new Explanation
        {
            Tokens = TokenAggregation.Tokens(whole, headline.Attributions),
            Words = TokenAggregation.Words(whole, headline.Attributions),
            Prediction = prediction,
            TargetIndex = target,
            TargetLabel = model.Labels[target],
            ScoreInput = headline.ScoreInput,
            ScoreBaseline = headline.ScoreBaseline,
            ConvergenceDelta = headline.ConvergenceDelta,
            AttributionSum = headline.Attributions.Sum(),
            Steps = headline.Steps,
            Method = request.Method,
            Baseline = request.Baseline,
            Model = model.Name,
            ExecutionProvider = model.ExecutionProvider,
            Truncated = false,
            Windows = windows,
            Elapsed = elapsed,
            PerTarget = perTarget,
        };
    }

    /// <summary>
    /// One class's windows combined over the whole text: attributions stitched (<see cref="WindowedText.Stitch"/>), the
    /// scores the windows' means, the delta the window delta of largest magnitude, the steps the most any window took.
    /// </summary>
    private (double[] Attributions, double ScoreInput, double ScoreBaseline, double ConvergenceDelta, int Steps) Combine(IgResult[] windowResults)
        => (text.Stitch(w => windowResults[w].TokenAttributions), windowResults.Average(r => r.ScoreInput), windowResults.Average(r => r.ScoreBaseline),
            windowResults.MaxBy(r => Math.Abs(r.ConvergenceDelta))!.ConvergenceDelta, windowResults.Max(r => r.Steps));
}
