namespace BertIgGrpc.Engine.Attribution;

/// <summary>One text for <see cref="LayerIntegratedGradients"/>: model inputs without padding, all arrays of one length.</summary>
/// <param name="InputIds">Token ids of the input.</param>
/// <param name="BaselineIds">Token ids of the baseline; null for the zero baseline at the cut.</param>
/// <param name="TokenTypeIds">Token type ids (shared by input and baseline).</param>
/// <param name="Target">Class to explain; null explains the class with the largest logit on the input.</param>
/// <param name="AllTargets">
/// Also attribute towards every class (<see cref="IgResult.PerTarget"/>): one path row per class and step, each with
/// its class's one-hot seed, in the same runs as the target's rows.
/// </param>
internal sealed record IgInput(int[] InputIds, int[]? BaselineIds, int[] TokenTypeIds, int? Target, bool AllTargets = false);

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
/// <param name="PerTarget">
/// With <see cref="IgInput.AllTargets"/>, the result towards each class in logit order (the entry of <paramref name="Target"/>
/// is this result itself, without a list of its own); null otherwise.
/// </param>
internal sealed record IgResult(
    double[] TokenAttributions, double AttributionSum, int Target, double ScoreInput, double ScoreBaseline,
    double ConvergenceDelta, int Steps, float[] InputLogits, IReadOnlyList<IgResult>? PerTarget = null);

/// <summary>Progress after one gradient run.</summary>
/// <param name="StepsDone">Steps evaluated so far (all rounds).</param>
/// <param name="StepsTotal">Steps planned so far (grows in adaptive mode).</param>
/// <param name="PartialTokenAttributions">
/// Per text, the running per-token attributions towards its target in the current round (for a text whose target is
/// finished while other classes of <see cref="IgInput.AllTargets"/> go on: its final ones; null for texts already finished).
/// </param>
/// <param name="TextStepsDone">
/// Steps evaluated so far summed over the paths integrated (all rounds): <paramref name="StepsDone"/> times the texts when
/// none is rerun (a path is a text, or a text and a class with <see cref="IgInput.AllTargets"/>).
/// </param>
/// <param name="TextStepsTotal">Steps planned so far summed over the paths (grows in adaptive mode).</param>
internal sealed record IgProgress(int StepsDone, int StepsTotal, double[]?[] PartialTokenAttributions, int TextStepsDone, int TextStepsTotal);
