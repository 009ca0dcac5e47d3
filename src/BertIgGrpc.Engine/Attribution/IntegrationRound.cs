using BertIgGrpc.Engine.Execution;

namespace BertIgGrpc.Engine.Attribution;

/// <summary>
/// One pass over all steps of one rule for the pending texts of <see cref="LayerIntegratedGradients"/>: up to
/// <see cref="LayerIntegratedGradients.RunsInFlight"/> gradient runs on the thread pool, awaited and accumulated in run order.
/// </summary>
internal sealed class IntegrationRound(
    IAttributionRuntime runtime, int rowsPerRun, IReadOnlyList<IgInput> inputs, List<int> pending, IgSettings settings, int steps, int seqLen,
    long[] mask, long[] types, float[] baselineCut, float[] difference, int[] targets)
{
    public async Task<double[][]> RunAsync(int stepsBefore, int textStepsBefore, IProgress<IgProgress>? progress, CancellationToken cancellationToken)
    {
        var points = ApproximationMethods.Get(settings.Method, steps);
        var texts = pending.Count;
        var rowSize = seqLen * runtime.HiddenSize;
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

        var inFlight = new Queue<(int StepCount, Task<float[]> Task)>();
        var nextStep = 0;
        var stepsDone = 0;
        try
        {
            while (stepsDone < steps)
            {
                while (nextStep < steps && inFlight.Count < LayerIntegratedGradients.RunsInFlight)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var first = nextStep;
                    var count = Math.Min(stepsPerRun, steps - first);
                    inFlight.Enqueue((count, Task.Run(() => RunChunk(points, first, count, texts, groupMask, groupTypes, groupBaseline, groupDifference, cancellationToken), CancellationToken.None)));
                    nextStep += count;
                }

                var (stepCount, task) = inFlight.Dequeue();
                var gradientSum = await task.ConfigureAwait(false);         // [T, S, H], summed over the chunk's steps
                Accumulate(sums, gradientSum, rowSize);
                stepsDone += stepCount;

                progress?.Report(new IgProgress(stepsBefore + stepsDone, stepsBefore + steps, Partial(sums), textStepsBefore + texts * stepsDone, textStepsBefore + texts * steps));
                if (stepsDone < steps)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch
        {
            // Leave nothing running against the runtime once this call has returned.
            foreach (var (_, task) in inFlight)
            {
                await ((Task)task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            throw;
        }

        return sums;
    }

    private float[] RunChunk(IntegrationPoints points, int firstStep, int stepCount, int texts, long[] groupMask, long[] groupTypes, float[] groupBaseline, float[] groupDifference, CancellationToken cancellationToken)
    {
        var rows = stepCount * texts;
        var classes = runtime.NumClasses;
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
        var sum = runtime.PathGradient(groupBaseline, groupDifference, alphas, rowMask, rowTypes, seed, texts, seqLen, cancellationToken); // [T, S, H]
        if (sum.Length != texts * seqLen * runtime.HiddenSize)
        {
            throw new InvalidOperationException($"The runtime returned a path gradient of {sum.Length} values for {texts} texts of {seqLen} x {runtime.HiddenSize}.");
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
        var hidden = runtime.HiddenSize;
        var partial = new double[]?[inputs.Count];
        for (var p = 0; p < sums.Length; p++)
        {
            var t = pending[p];
            partial[t] = LayerIntegratedGradients.TokenAttributions(sums[p], difference.AsSpan(t * seqLen * hidden, seqLen * hidden), inputs[t].InputIds.Length, hidden, settings.MultiplyByInputs);
        }

        return partial;
    }
}
