using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Engine.Attribution;

/// <summary>
/// Captum's <c>LayerIntegratedGradients</c> at the runtime's cut: run the model up to the cut on input and baseline,
/// interpolate there, <c>L_a = L(x') + a (L(x) - L(x'))</c>, and integrate the gradient of the target logit along the path
/// with the points and weights of <see cref="ApproximationMethods"/>.
/// </summary>
/// <remarks>
/// Rows are laid out as in Captum: for a group of T texts, interpolation row <c>k * T + t</c> is step k of text t, and
/// <see cref="IgSettings.InternalBatchSize"/> rows, capped by the memory budget, are evaluated per gradient run (at least
/// one step of every text).
/// The step weight goes into the seed, so each run returns gradients already weighted. Up to <see cref="RunsInFlight"/>
/// gradient runs are in flight while the oldest one is accumulated, so building the next interpolation batch and summing
/// the last one overlap with the runtime's work; accumulation happens in run order, in double, so results do not depend
/// on timing. Every ONNX Runtime run goes to the thread pool once and is awaited; nothing blocks on a task.
/// </remarks>
/// <param name="runtime">The forward and gradient computations.</param>
/// <param name="padId">Token id padding shorter texts of a group.</param>
/// <param name="maxRowsPerRun">
/// Upper bound on the rows of one gradient run for a padded length (the memory budget); <see cref="IgSettings.InternalBatchSize"/>
/// is capped by it. Null: no bound beyond the batch size. The split does not change the results (sums stay in run order).
/// </param>
internal sealed class LayerIntegratedGradients(IAttributionRuntime runtime, int padId = 0, Func<int, int>? maxRowsPerRun = null)
{
    /// <summary>Gradient runs in flight at once (one computing while the previous one is accumulated).</summary>
    public const int RunsInFlight = 2;

    /// <summary>
    /// Attributes every input. Throws <see cref="OperationCanceledException"/> when cancelled; the runtime's run in flight
    /// is stopped too, and no run is left going when the task ends.
    /// </summary>
    public async Task<IReadOnlyList<IgResult>> AttributeAsync(
        IReadOnlyList<IgInput> inputs, IgSettings settings, IProgress<IgProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(settings);
        if (inputs.Count == 0)
        {
            return [];
        }

        Validate(inputs, settings);
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = EngineTelemetry.StartIntegrate(inputs.Count, settings.Steps, settings.Method);

        var texts = inputs.Count;
        var zeroBaseline = inputs[0].BaselineIds is null;
        var hidden = runtime.HiddenSize;
        var classes = runtime.NumClasses;

        // Padded inputs (then baselines, unless the baseline is zero at the cut): ids/mask/types [T or 2T, S].
        var rowIds = inputs.Select(i => i.InputIds);
        var rowTypes = inputs.Select(i => i.TokenTypeIds);
        if (!zeroBaseline)
        {
            rowIds = rowIds.Concat(inputs.Select(i => i.BaselineIds!));
            rowTypes = rowTypes.Concat(inputs.Select(i => i.TokenTypeIds));
        }

        var batch = PaddedBatch.Create(rowIds.ToArray(), rowTypes.ToArray(), padId);
        var seqLen = batch.SeqLen;
        var rowSize = seqLen * hidden;
        var mask = batch.Mask.AsSpan(0, texts * seqLen).ToArray();     // [T, S]
        var types = batch.Types.AsSpan(0, texts * seqLen).ToArray();   // [T, S]

        var (inputCut, baselineCut, inputLogits, baselineLogits) = await Task.Run(
            () => ForwardInputsAndBaselines(batch, texts, zeroBaseline, cancellationToken), cancellationToken).ConfigureAwait(false);

        var targets = new int[texts];
        for (var t = 0; t < texts; t++)
        {
            targets[t] = inputs[t].Target ?? Logits.ArgMax(inputLogits.AsSpan(t * classes, classes));
            if (targets[t] < 0 || targets[t] >= classes)
            {
                throw new ArgumentOutOfRangeException(nameof(inputs), $"Target {targets[t]} of text {t} is outside [0, {classes - 1}].");
            }
        }

        // L(x) - L(x'), [T, S, H], in float as Captum forms it (input - baseline).
        var difference = new float[texts * rowSize];
        for (var i = 0; i < difference.Length; i++)
        {
            difference[i] = inputCut[i] - baselineCut[i];
        }

        var results = new IgResult?[texts];
        var pending = Enumerable.Range(0, texts).ToList();
        var steps = settings.Steps;
        var stepsBefore = 0;
        var textStepsBefore = 0;
        while (true)
        {
            var round = new IntegrationRound(runtime, RowsPerRun(settings, seqLen), inputs, pending, settings, steps, seqLen, mask, types, baselineCut, difference, targets);
            var gradientSums = await round.RunAsync(stepsBefore, textStepsBefore, progress, cancellationToken).ConfigureAwait(false);
            stepsBefore += steps;
            textStepsBefore += pending.Count * steps;

            var stillPending = new List<int>();
            for (var p = 0; p < pending.Count; p++)
            {
                var t = pending[p];
                var result = Finish(gradientSums[p], difference.AsSpan(t * rowSize, rowSize), inputs[t].InputIds.Length, hidden, settings.MultiplyByInputs,
                    targets[t], inputLogits[t * classes + targets[t]], baselineLogits[t * classes + targets[t]], steps, inputLogits.AsSpan(t * classes, classes).ToArray());
                var gap = Math.Abs(result.ScoreInput - result.ScoreBaseline);
                if (settings.Tolerance > 0 && Math.Abs(result.ConvergenceDelta) > settings.Tolerance * gap && steps < settings.MaxSteps)
                {
                    stillPending.Add(t);
                }

                results[t] = result;
            }

            if (stillPending.Count == 0)
            {
                break;
            }

            // Adaptive mode: rerun the texts that missed the tolerance with twice the steps (the points of a larger rule
            // are not a superset of the smaller one's for Gauss-Legendre, so nothing is reused).
            pending = stillPending;
            steps = Math.Min(steps * 2, settings.MaxSteps);
        }

        return results.Select(r => r!).ToArray();
    }

    /// <summary>Per-token attributions: sum over hidden of (L(x) - L(x')) * weighted gradient sum, or of the sum alone.</summary>
    internal static double[] TokenAttributions(double[] gradientSum, ReadOnlySpan<float> difference, int length, int hidden, bool multiplyByInputs)
    {
        var tokens = new double[length];                                  // [S_t]
        for (var s = 0; s < length; s++)
        {
            double total = 0;
            var offset = s * hidden;
            for (var h = 0; h < hidden; h++)
            {
                total += multiplyByInputs ? difference[offset + h] * gradientSum[offset + h] : gradientSum[offset + h];
            }

            tokens[s] = total;
        }

        return tokens;
    }

    /// <summary>One forward pass over inputs and baselines: the cut [T, S, H] and logits [T, C] of each.</summary>
    private (float[] InputCut, float[] BaselineCut, float[] InputLogits, float[] BaselineLogits) ForwardInputsAndBaselines(
        PaddedBatch batch, int texts, bool zeroBaseline, CancellationToken cancellationToken)
    {
        var rowSize = batch.SeqLen * runtime.HiddenSize;
        var classes = runtime.NumClasses;
        var forward = runtime.Forward(batch.Ids, batch.Mask, batch.Types, batch.Rows, batch.SeqLen, cancellationToken);
        if (!zeroBaseline)
        {
            // Inputs first, then baselines.
            return (forward.Cut.AsSpan(0, texts * rowSize).ToArray(), forward.Cut.AsSpan(texts * rowSize).ToArray(),
                forward.Logits.AsSpan(0, texts * classes).ToArray(), forward.Logits.AsSpan(texts * classes).ToArray());
        }

        // F(x') for a baseline that only exists at the cut: run the model from the cut on zeros.
        var baselineCut = new float[texts * rowSize];
        var baselineLogits = runtime.Gradient(baselineCut, batch.Mask, batch.Types, new float[texts * classes], texts, batch.SeqLen, cancellationToken).Logits;
        return (forward.Cut, baselineCut, forward.Logits, baselineLogits);
    }

    /// <summary>Rows per gradient run: the request's batch size, capped by the memory budget for this length.</summary>
    private int RowsPerRun(IgSettings settings, int seqLen)
        => Math.Max(1, Math.Min(settings.InternalBatchSize, maxRowsPerRun?.Invoke(seqLen) ?? int.MaxValue));

    private static void Validate(IReadOnlyList<IgInput> inputs, IgSettings settings)
    {
        var minimum = ApproximationMethods.MinimumSteps(settings.Method);
        if (settings.Steps < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), $"Steps must be at least {minimum} for {settings.Method}.");
        }

        if (settings.InternalBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), "InternalBatchSize must be positive.");
        }

        if (settings.Tolerance < 0 || (settings.Tolerance > 0 && settings.MaxSteps < settings.Steps))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), "Tolerance must be >= 0 and MaxSteps >= Steps in adaptive mode.");
        }

        var zero = inputs[0].BaselineIds is null;
        foreach (var input in inputs)
        {
            if (input.InputIds.Length == 0 || input.TokenTypeIds.Length != input.InputIds.Length
                || (input.BaselineIds is null) != zero || (input.BaselineIds is not null && input.BaselineIds.Length != input.InputIds.Length))
            {
                throw new ArgumentException("Inputs must be non-empty, with token types and baselines of the same length, and all with or all without baseline ids.", nameof(inputs));
            }
        }
    }

    private static IgResult Finish(
        double[] gradientSum, ReadOnlySpan<float> difference, int length, int hidden, bool multiplyByInputs,
        int target, double scoreInput, double scoreBaseline, int steps, float[] logits)
    {
        var tokens = TokenAttributions(gradientSum, difference, length, hidden, multiplyByInputs);
        var sum = tokens.Sum();
        return new IgResult(tokens, sum, target, scoreInput, scoreBaseline, sum - (scoreInput - scoreBaseline), steps, logits);
    }
}
