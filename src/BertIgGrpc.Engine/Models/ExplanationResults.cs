using BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Engine.Models;

/// <summary>Result building: what the integration returns, turned into the engine's public records for one plan.</summary>
internal static class ExplanationResults
{
    /// <summary>Builds the explanation of <paramref name="plan"/> from its integration result.</summary>
    public static Explanation Build(ExplanationPlan plan, IgResult result, TimeSpan elapsed)
    {
        using var activity = EngineTelemetry.StartResult();
        var model = plan.Model;
        var encoded = plan.Encoded;
        return new Explanation
        {
            Tokens = TokenAggregation.Tokens(encoded, result.TokenAttributions),
            Words = TokenAggregation.Words(encoded, result.TokenAttributions),
            Prediction = Logits.ToPrediction(result.InputLogits, model.Labels) with { Truncated = encoded.Truncated },
            TargetIndex = result.Target,
            TargetLabel = model.Labels[result.Target],
            ScoreInput = result.ScoreInput,
            ScoreBaseline = result.ScoreBaseline,
            ConvergenceDelta = result.ConvergenceDelta,
            AttributionSum = result.AttributionSum,
            Steps = result.Steps,
            Method = plan.Request.Method,
            Baseline = plan.Request.Baseline,
            Model = model.Name,
            ExecutionProvider = model.ExecutionProvider,
            Truncated = encoded.Truncated,
            Elapsed = elapsed,
        };
    }

    /// <summary>The progress event of <paramref name="plan"/> after one gradient run (its one text's running attributions).</summary>
    public static ExplainProgress Progress(ExplanationPlan plan, IgProgress progress, TimeSpan elapsed)
        => new(progress.StepsDone, progress.StepsTotal, TokenAggregation.Tokens(plan.Encoded, progress.PartialTokenAttributions[0]!), elapsed);
}
