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
/// <param name="TextStepsDone">Steps evaluated so far summed over the texts (all rounds): <paramref name="StepsDone"/> times the texts when none is rerun.</param>
/// <param name="TextStepsTotal">Steps planned so far summed over the texts (grows in adaptive mode).</param>
internal sealed record IgProgress(int StepsDone, int StepsTotal, double[]?[] PartialTokenAttributions, int TextStepsDone, int TextStepsTotal);
