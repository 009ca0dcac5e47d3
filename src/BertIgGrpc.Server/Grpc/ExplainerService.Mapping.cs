using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Engine.Models;
using EngineAttribution = BertIgGrpc.Engine.Attribution;

namespace BertIgGrpc.Server.Grpc;

/// <summary>Static mappings between the wire contract (bertig.v1) and the engine's records.</summary>
public sealed partial class ExplainerService
{
    /// <summary>Integration steps when the request leaves <c>n_steps</c> at 0 (the contract's default).</summary>
    internal const int DefaultSteps = EngineAttribution.ExplainRequestOptions.DefaultSteps;

    /// <summary>Adaptive step cap when the request leaves <c>max_steps</c> at 0 (the contract's default).</summary>
    internal const int DefaultMaxSteps = EngineAttribution.ExplainRequestOptions.DefaultMaxSteps;

    /// <summary>Maps the fields that Explain's and ExplainUnary's requests share (one mapping for both RPCs).</summary>
    internal static EngineAttribution.ExplainRequestOptions ToEngine(IExplainParameters request) => new()
    {
        Text = request.Text,
        TextPair = request.TextPair.Length == 0 ? null : request.TextPair,
        TargetIndex = request.HasTargetIndex ? request.TargetIndex : null,
        TargetLabel = request.HasTargetLabel ? request.TargetLabel : null,
        Steps = request.NSteps == 0 ? DefaultSteps : request.NSteps,
        Method = ToEngine(request.Method),
        Baseline = ToEngine(request.Baseline),
        InternalBatchSize = request.InternalBatchSize,
        MultiplyByInputs = !request.HasMultiplyByInputs || request.MultiplyByInputs,
        Tolerance = request.Tolerance,
        MaxSteps = request.MaxSteps == 0 ? DefaultMaxSteps : request.MaxSteps,
        LongText = ToEngine(request.LongText, request.Truncate),
        WindowStride = request.WindowStride,
        AllTargets = request.AllTargets,
        Faithfulness = request.Faithfulness,
    };

    /// <summary>
    /// Maps <c>long_text</c> and its older alias <c>truncate</c> (true means LONG_TEXT_TRUNCATE); the two may agree but not
    /// contradict each other.
    /// </summary>
    internal static EngineAttribution.LongTextMode ToEngine(LongText longText, bool truncate) => (longText, truncate) switch
    {
        (LongText.Unspecified, false) => EngineAttribution.LongTextMode.Reject,
        (LongText.Unspecified or LongText.Truncate, _) => EngineAttribution.LongTextMode.Truncate,
        (LongText.Windows, false) => EngineAttribution.LongTextMode.Windows,
        (LongText.Windows, true) => throw RpcErrors.InvalidArgument(
            "long_text", "LONG_TEXT_WINDOWS cannot be combined with truncate = true (truncate is an alias of LONG_TEXT_TRUNCATE)."),
        _ => throw RpcErrors.InvalidArgument("long_text", $"{(int)longText} is not a defined LongText value."),
    };

    // UNSPECIFIED (an unset field) selects the engine's default. The validator rejects undefined enum values first;
    // the last arms only guard a request that bypassed it.
    internal static EngineAttribution.IntegrationMethod ToEngine(IntegrationMethod method) => method switch
    {
        IntegrationMethod.Unspecified => EngineAttribution.ExplainRequestOptions.DefaultMethod,
        IntegrationMethod.GaussLegendre => EngineAttribution.IntegrationMethod.GaussLegendre,
        IntegrationMethod.RiemannLeft => EngineAttribution.IntegrationMethod.RiemannLeft,
        IntegrationMethod.RiemannRight => EngineAttribution.IntegrationMethod.RiemannRight,
        IntegrationMethod.RiemannMiddle => EngineAttribution.IntegrationMethod.RiemannMiddle,
        IntegrationMethod.RiemannTrapezoid => EngineAttribution.IntegrationMethod.RiemannTrapezoid,
        _ => throw RpcErrors.InvalidArgument("method", $"{(int)method} is not a defined IntegrationMethod value."),
    };

    internal static EngineAttribution.BaselineKind ToEngine(Baseline baseline) => baseline switch
    {
        Baseline.Unspecified => EngineAttribution.ExplainRequestOptions.DefaultBaseline,
        Baseline.Pad => EngineAttribution.BaselineKind.Pad,
        Baseline.Mask => EngineAttribution.BaselineKind.Mask,
        Baseline.Unk => EngineAttribution.BaselineKind.Unk,
        Baseline.Zero => EngineAttribution.BaselineKind.Zero,
        _ => throw RpcErrors.InvalidArgument("baseline", $"{(int)baseline} is not a defined Baseline value."),
    };

    internal static IntegrationMethod ToProto(EngineAttribution.IntegrationMethod method) => method switch
    {
        EngineAttribution.IntegrationMethod.GaussLegendre => IntegrationMethod.GaussLegendre,
        EngineAttribution.IntegrationMethod.RiemannLeft => IntegrationMethod.RiemannLeft,
        EngineAttribution.IntegrationMethod.RiemannRight => IntegrationMethod.RiemannRight,
        EngineAttribution.IntegrationMethod.RiemannMiddle => IntegrationMethod.RiemannMiddle,
        EngineAttribution.IntegrationMethod.RiemannTrapezoid => IntegrationMethod.RiemannTrapezoid,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown integration method."),
    };

    internal static Baseline ToProto(EngineAttribution.BaselineKind baseline) => baseline switch
    {
        EngineAttribution.BaselineKind.Pad => Baseline.Pad,
        EngineAttribution.BaselineKind.Mask => Baseline.Mask,
        EngineAttribution.BaselineKind.Unk => Baseline.Unk,
        EngineAttribution.BaselineKind.Zero => Baseline.Zero,
        _ => throw new ArgumentOutOfRangeException(nameof(baseline), baseline, "Unknown baseline."),
    };

    internal static ExplainResult ToProto(EngineAttribution.Explanation explanation)
    {
        var result = new ExplainResult
        {
            Prediction = ToProto(explanation.Prediction),
            TargetIndex = explanation.TargetIndex,
            TargetLabel = explanation.TargetLabel,
            ScoreInput = explanation.ScoreInput,
            ScoreBaseline = explanation.ScoreBaseline,
            ConvergenceDelta = explanation.ConvergenceDelta,
            AttributionSum = explanation.AttributionSum,
            NSteps = explanation.Steps,
            Method = ToProto(explanation.Method),
            Baseline = ToProto(explanation.Baseline),
            Model = explanation.Model,
            ExecutionProvider = explanation.ExecutionProvider,
            Truncated = explanation.Truncated,
            ElapsedMs = explanation.Elapsed.TotalMilliseconds,
        };
        result.Tokens.AddRange(explanation.Tokens.Select(ToProto));
        result.Words.AddRange(explanation.Words.Select(ToProto));
        result.Windows.AddRange(explanation.Windows.Select(ToProto));
        if (explanation.Faithfulness is { } faithfulness)
        {
            result.Faithfulness = ToProto(faithfulness);
        }

        result.PerTarget.AddRange(explanation.PerTarget.Select(ToProto));
        return result;
    }

    internal static TargetAttributions ToProto(EngineAttribution.TargetExplanation target)
    {
        var message = new TargetAttributions
        {
            Index = target.Index,
            Label = target.Label,
            ScoreInput = target.ScoreInput,
            ScoreBaseline = target.ScoreBaseline,
            ConvergenceDelta = target.ConvergenceDelta,
            AttributionSum = target.AttributionSum,
            NSteps = target.Steps,
        };
        message.Tokens.AddRange(target.Tokens.Select(ToProto));
        message.Words.AddRange(target.Words.Select(ToProto));
        return message;
    }

    internal static ExplainWindow ToProto(EngineAttribution.ExplanationWindow window) => new()
    {
        Index = window.Index,
        TokenStart = window.TokenStart,
        TokenEnd = window.TokenEnd,
        Start = window.Start,
        End = window.End,
        Prediction = ToProto(window.Prediction),
        ScoreInput = window.ScoreInput,
        ScoreBaseline = window.ScoreBaseline,
        ConvergenceDelta = window.ConvergenceDelta,
        NSteps = window.Steps,
    };

    internal static Faithfulness ToProto(EngineAttribution.FaithfulnessScores scores)
    {
        var message = new Faithfulness
        {
            ComprehensivenessAopc = scores.ComprehensivenessAopc,
            SufficiencyAopc = scores.SufficiencyAopc,
            RandomComprehensivenessAopc = scores.RandomComprehensivenessAopc,
            RandomSufficiencyAopc = scores.RandomSufficiencyAopc,
            RandomRankings = scores.RandomRankings,
            ReplacementToken = scores.ReplacementToken,
        };
        message.Points.AddRange(scores.Points.Select(p => new FaithfulnessPoint
        {
            Fraction = p.Fraction,
            Tokens = p.Tokens,
            Comprehensiveness = p.Comprehensiveness,
            Sufficiency = p.Sufficiency,
            RandomComprehensiveness = p.RandomComprehensiveness,
            RandomSufficiency = p.RandomSufficiency,
        }));
        return message;
    }

    internal static ExplainProgress ToProto(EngineAttribution.ExplainProgress progress)
    {
        var message = new ExplainProgress
        {
            StepsDone = progress.StepsDone,
            StepsTotal = progress.StepsTotal,
            ElapsedMs = progress.Elapsed.TotalMilliseconds,
        };
        message.Tokens.AddRange(progress.PartialTokens.Select(ToProto));
        return message;
    }

    internal static TokenAttribution ToProto(EngineAttribution.TokenAttribution token) => new()
    {
        Token = token.Token,
        Id = token.Id,
        Start = token.Start,
        End = token.End,
        Attribution = token.Attribution,
        AttributionNormalized = token.AttributionNormalized,
        Segment = token.Segment,
        Special = token.Special,
    };

    internal static Prediction ToProto(EngineAttribution.Prediction prediction)
    {
        var message = new Prediction
        {
            Label = prediction.Label,
            Index = prediction.Index,
            Probability = prediction.Probability,
            Windows = prediction.Windows,
            Truncated = prediction.Truncated,
        };
        message.Logits.AddRange(prediction.Logits);
        message.Probabilities.AddRange(prediction.Probabilities);
        return message;
    }

    internal static ModelInfo ToProto(ExplainerModel model, bool isDefault)
    {
        var info = new ModelInfo
        {
            Name = model.Name,
            MaxTokens = model.MaxTokens,
            CutTensor = model.CutTensor,
            Sha256 = model.Sha256,
            IsDefault = isDefault,
            ExecutionProvider = model.ExecutionProvider,
            HiddenSize = model.HiddenSize,
        };
        info.Labels.AddRange(model.Labels);
        return info;
    }
}
