using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Engine.Attribution;

/// <summary>One text for <see cref="LayerIntegratedGradients"/>: model inputs without padding, all arrays of one length.</summary>
/// <param name="InputIds">Token ids of the input.</param>
/// <param name="BaselineIds">Token ids of the baseline; null for the zero baseline at the cut.</param>
/// <param name="TokenTypeIds">Token type ids (shared by input and baseline).</param>
/// <param name="Target">Class to explain; null explains the class with the largest logit on the input.</param>
internal sealed record IgInput(int[] InputIds, int[]? BaselineIds, int[] TokenTypeIds, int? Target);

/// <summary>How to integrate.</summary>
/// <param name="Method">Integration rule.</param>
/// <param name="Steps">Steps (the first round's in adaptive mode).</param>
/// <param name="InternalBatchSize">Interpolation rows per gradient run.</param>
/// <param name="MultiplyByInputs">Multiply the integrated gradients by L(x) - L(x').</param>
/// <param name="Tolerance">Adaptive tolerance on |delta| / |F(x) - F(x')|; 0 runs <paramref name="Steps"/> once.</param>
/// <param name="MaxSteps">Step cap in adaptive mode.</param>
internal sealed record IgSettings(IntegrationMethod Method, int Steps, int InternalBatchSize, bool MultiplyByInputs, double Tolerance, int MaxSteps);

/// <summary>Result for one text.</summary>
/// <param name="TokenAttributions">Attribution per token (sum over the hidden dimension), <c>[seqLen]</c>.</param>
/// <param name="AttributionSum">Sum over all tokens and hidden units.</param>
/// <param name="Target">The class explained.</param>
/// <param name="ScoreInput">F(x), the target logit on the input.</param>
/// <param name="ScoreBaseline">F(x'), the target logit on the baseline.</param>
/// <param name="ConvergenceDelta">AttributionSum - (F(x) - F(x')).</param>
/// <param name="Steps">Steps of the final round.</param>
/// <param name="InputLogits">All logits on the input, <c>[classes]</c>.</param>
internal sealed record IgResult(
    double[] TokenAttributions, double AttributionSum, int Target, double ScoreInput, double ScoreBaseline,
    double ConvergenceDelta, int Steps, float[] InputLogits);

/// <summary>Progress after one gradient run.</summary>
/// <param name="StepsDone">Steps evaluated so far (all rounds).</param>
/// <param name="StepsTotal">Steps planned so far (grows in adaptive mode).</param>
/// <param name="PartialTokenAttributions">Per text (null for texts already finished), the running per-token attributions of the current round.</param>
internal sealed record IgProgress(int StepsDone, int StepsTotal, double[]?[] PartialTokenAttributions);

/// <summary>
/// Captum's <c>LayerIntegratedGradients</c> at the runtime's cut: run the model up to the cut on input and baseline,
/// interpolate there, <c>L_a = L(x') + a (L(x) - L(x'))</c>, and integrate the gradient of the target logit along the path
/// with the points and weights of <see cref="ApproximationMethods"/>.
/// </summary>
/// <remarks>
/// Rows are laid out as in Captum: for a group of T texts, interpolation row <c>k * T + t</c> is step k of text t, and
/// <see cref="IgSettings.InternalBatchSize"/> rows, capped by the memory budget, are evaluated per gradient run (at least
/// one step of every text).
/// The step weight goes into the seed, so each run returns gradients already weighted. Up to <c>runsInFlight</c> (default 2)
/// gradient runs are in flight while the oldest one is accumulated, so building the next interpolation batch and summing
/// the last one overlap with the runtime's work; accumulation happens in run order, in double, so results do not depend
/// on timing.
/// </remarks>
/// <param name="runtime">The forward and gradient computations.</param>
/// <param name="padId">Token id padding shorter texts of a group.</param>
/// <param name="runsInFlight">Gradient runs in flight at once.</param>
/// <param name="maxRowsPerRun">
/// Upper bound on the rows of one gradient run for a padded length (the memory budget); <see cref="IgSettings.InternalBatchSize"/>
/// is capped by it. Null: no bound beyond the batch size. The split does not change the results (sums stay in run order).
/// </param>
internal sealed class LayerIntegratedGradients(IAttributionRuntime runtime, int padId = 0, int runsInFlight = 2, Func<int, int>? maxRowsPerRun = null)
{
    /// <summary>Gradient runs in flight at once by default (one computing while the previous one is accumulated).</summary>
    public const int DefaultRunsInFlight = 2;

    private readonly int _runsInFlight = Math.Max(1, runsInFlight);

    /// <summary>
    /// Attributes every input. Throws <see cref="OperationCanceledException"/> when cancelled; the runtime's run in flight
    /// is stopped too.
    /// </summary>
    public IReadOnlyList<IgResult> Attribute(
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
        var seqLen = inputs.Max(i => i.InputIds.Length);
        var hidden = runtime.HiddenSize;
        var classes = runtime.NumClasses;
        var rowSize = seqLen * hidden;

        // Padded inputs for the group: ids/mask/types [T, S].
        var mask = new long[texts * seqLen];
        var types = new long[texts * seqLen];
        var ids = new long[(zeroBaseline ? 1 : 2) * texts * seqLen];
        for (var t = 0; t < texts; t++)
        {
            var input = inputs[t];
            for (var s = 0; s < seqLen; s++)
            {
                var real = s < input.InputIds.Length;
                mask[t * seqLen + s] = real ? 1 : 0;
                types[t * seqLen + s] = real ? input.TokenTypeIds[s] : 0;
                ids[t * seqLen + s] = real ? input.InputIds[s] : padId;
                if (!zeroBaseline)
                {
                    ids[(texts + t) * seqLen + s] = real ? input.BaselineIds![s] : padId;
                }
            }
        }

        // One forward pass over inputs and baselines: cut [2T, S, H] (inputs first), logits [2T, C].
        float[] inputCut, baselineCut, inputLogits, baselineLogits;
        if (zeroBaseline)
        {
            var forward = runtime.Forward(ids, mask, types, texts, seqLen, cancellationToken);
            inputCut = forward.Cut;                                    // [T, S, H]
            inputLogits = forward.Logits;                              // [T, C]
            baselineCut = new float[texts * rowSize];                  // [T, S, H] zeros
            // F(x') for a baseline that only exists at the cut: run the model from the cut on zeros.
            baselineLogits = runtime.Gradient(baselineCut, mask, types, new float[texts * classes], texts, seqLen, cancellationToken).Logits; // [T, C]
        }
        else
        {
            var forward = runtime.Forward(ids, Repeat(mask, 2), Repeat(types, 2), 2 * texts, seqLen, cancellationToken);
            inputCut = forward.Cut.AsSpan(0, texts * rowSize).ToArray();           // [T, S, H]
            baselineCut = forward.Cut.AsSpan(texts * rowSize).ToArray();           // [T, S, H]
            inputLogits = forward.Logits.AsSpan(0, texts * classes).ToArray();     // [T, C]
            baselineLogits = forward.Logits.AsSpan(texts * classes).ToArray();     // [T, C]
        }

        var targets = new int[texts];
        for (var t = 0; t < texts; t++)
        {
            targets[t] = inputs[t].Target ?? ArgMax(inputLogits.AsSpan(t * classes, classes));
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
        while (true)
        {
            var round = new Round(runtime, _runsInFlight, RowsPerRun(settings, seqLen), inputs, pending, settings, steps, seqLen, mask, types, baselineCut, difference, targets);
            var gradientSums = round.Run(stepsBefore, progress, cancellationToken);
            stepsBefore += steps;

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

    /// <summary>Rows per gradient run: the request's batch size, capped by the memory budget for this length.</summary>
    private int RowsPerRun(IgSettings settings, int seqLen)
        => Math.Max(1, Math.Min(settings.InternalBatchSize, maxRowsPerRun?.Invoke(seqLen) ?? int.MaxValue));

    private static void Validate(IReadOnlyList<IgInput> inputs, IgSettings settings)
    {
        var minimum = settings.Method == IntegrationMethod.GaussLegendre ? 1 : 2;
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

    /// <summary>Per-token attributions: sum over hidden of (L(x) - L(x')) * weighted gradient sum, or of the sum alone.</summary>
    private static double[] TokenAttributions(double[] gradientSum, ReadOnlySpan<float> difference, int length, int hidden, bool multiplyByInputs)
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

    private static long[] Repeat(long[] values, int times)
    {
        var result = new long[values.Length * times];
        for (var i = 0; i < times; i++)
        {
            values.CopyTo(result, i * values.Length);
        }

        return result;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>One pass over all steps of one rule for the pending texts.</summary>
    private sealed class Round(
        IAttributionRuntime runtime, int runsInFlight, int rowsPerRun, IReadOnlyList<IgInput> inputs, List<int> pending, IgSettings settings, int steps, int seqLen,
        long[] mask, long[] types, float[] baselineCut, float[] difference, int[] targets)
    {
        private readonly IAttributionRuntime _runtime = runtime;

        public double[][] Run(int stepsBefore, IProgress<IgProgress>? progress, CancellationToken cancellationToken)
        {
            var points = ApproximationMethods.Get(settings.Method, steps);
            var texts = pending.Count;
            var rowSize = seqLen * _runtime.HiddenSize;
            var stepsPerRun = Math.Max(1, rowsPerRun / texts);

            // Running weighted gradient sums, [T_pending][S * H], in double.
            var sums = new double[texts][];
            for (var p = 0; p < texts; p++)
            {
                sums[p] = new double[rowSize];
            }

            // Pending texts' mask/types [T_pending, S], and L(x'), L(x) - L(x') [T_pending, S, H].
            var groupMask = new long[texts * seqLen];
            var groupTypes = new long[texts * seqLen];
            var groupBaseline = new float[texts * rowSize];
            var groupDifference = new float[texts * rowSize];
            for (var p = 0; p < texts; p++)
            {
                Array.Copy(mask, pending[p] * seqLen, groupMask, p * seqLen, seqLen);
                Array.Copy(types, pending[p] * seqLen, groupTypes, p * seqLen, seqLen);
                Array.Copy(baselineCut, pending[p] * rowSize, groupBaseline, p * rowSize, rowSize);
                Array.Copy(difference, pending[p] * rowSize, groupDifference, p * rowSize, rowSize);
            }

            var inFlight = new Queue<(int FirstStep, int StepCount, Task<float[]> Task)>();
            var nextStep = 0;
            var stepsDone = 0;
            try
            {
                while (stepsDone < steps)
                {
                    while (nextStep < steps && inFlight.Count < runsInFlight)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var first = nextStep;
                        var count = Math.Min(stepsPerRun, steps - first);
                        inFlight.Enqueue((first, count, Task.Run(() => RunChunk(points, first, count, texts, groupMask, groupTypes, groupBaseline, groupDifference, cancellationToken), CancellationToken.None)));
                        nextStep += count;
                    }

                    var (_, stepCount, task) = inFlight.Dequeue();
                    var gradientSum = task.GetAwaiter().GetResult();            // [T, S, H], summed over the chunk's steps
                    Accumulate(sums, gradientSum, rowSize);
                    stepsDone += stepCount;

                    progress?.Report(new IgProgress(stepsBefore + stepsDone, stepsBefore + steps, Partial(sums)));
                    if (stepsDone < steps)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
            }
            catch
            {
                // Leave nothing running against the runtime once this call has returned.
                foreach (var (_, _, task) in inFlight)
                {
                    try
                    {
                        task.Wait(CancellationToken.None);
                    }
                    catch (AggregateException)
                    {
                    }
                }

                throw;
            }

            return sums;
        }

        private float[] RunChunk(IntegrationPoints points, int firstStep, int stepCount, int texts, long[] groupMask, long[] groupTypes, float[] groupBaseline, float[] groupDifference, CancellationToken cancellationToken)
        {
            var rows = stepCount * texts;
            var classes = _runtime.NumClasses;
            var alphas = new float[stepCount];                         // [k]
            var seed = new float[rows * classes];                      // [k * T, C]
            var rowMask = new long[rows * seqLen];                     // [k * T, S]
            var rowTypes = new long[rows * seqLen];                    // [k * T, S]
            for (var k = 0; k < stepCount; k++)
            {
                alphas[k] = (float)points.Alphas[firstStep + k];
            }

            for (var row = 0; row < rows; row++)
            {
                var step = firstStep + row / texts;
                var p = row % texts;
                seed[row * classes + targets[pending[p]]] = (float)points.Weights[step];
                Array.Copy(groupMask, p * seqLen, rowMask, row * seqLen, seqLen);
                Array.Copy(groupTypes, p * seqLen, rowTypes, row * seqLen, seqLen);
            }

            // The rows L(x') + a (L(x) - L(x')) are formed, and their gradients summed over the chunk's steps, by the runtime.
            var sum = _runtime.PathGradient(groupBaseline, groupDifference, alphas, rowMask, rowTypes, seed, texts, seqLen, cancellationToken); // [T, S, H]
            if (sum.Length != texts * seqLen * _runtime.HiddenSize)
            {
                throw new InvalidOperationException($"The runtime returned a path gradient of {sum.Length} values for {texts} texts of {seqLen} x {_runtime.HiddenSize}.");
            }

            return sum;
        }

        private static void Accumulate(double[][] sums, float[] gradientSum, int rowSize)
        {
            // Each text's running sum in double, chunks added in run order, so the result does not depend on timing.
            Parallel.For(0, sums.Length, p =>
            {
                var sum = sums[p];
                var chunk = gradientSum.AsSpan(p * rowSize, rowSize);
                for (var i = 0; i < rowSize; i++)
                {
                    sum[i] += chunk[i];
                }
            });
        }

        private double[]?[] Partial(double[][] sums)
        {
            var hidden = _runtime.HiddenSize;
            var partial = new double[]?[inputs.Count];
            for (var p = 0; p < sums.Length; p++)
            {
                var t = pending[p];
                partial[t] = TokenAttributions(sums[p], difference.AsSpan(t * seqLen * hidden, seqLen * hidden), inputs[t].InputIds.Length, hidden, settings.MultiplyByInputs);
            }

            return partial;
        }
    }
}
