namespace BertIgGrpc.Engine.Attribution;

/// <summary>A token (or a whole word) and its attribution towards the target class.</summary>
/// <param name="Token">The WordPiece token or the word's original text.</param>
/// <param name="Id">Vocabulary id (for a word: its first piece's id).</param>
/// <param name="Start">Start offset (UTF-16 code units) in the text of <paramref name="Segment"/>.</param>
/// <param name="End">End offset, exclusive.</param>
/// <param name="Attribution">Layer attribution summed over the hidden dimension.</param>
/// <param name="AttributionNormalized"><paramref name="Attribution"/> divided by the L2 norm over all tokens.</param>
/// <param name="Segment">0 for the text, 1 for the text pair.</param>
/// <param name="Special">True for [CLS], [SEP] and other special tokens.</param>
public sealed record TokenAttribution(
    string Token, int Id, int Start, int End, double Attribution, double AttributionNormalized, int Segment, bool Special);

/// <summary>A classification of one text.</summary>
/// <param name="Label">Predicted label.</param>
/// <param name="Index">Predicted class index.</param>
/// <param name="Probability">Softmax probability of the predicted class.</param>
/// <param name="Logits">All logits.</param>
/// <param name="Probabilities">Softmax of the logits.</param>
public sealed record Prediction(string Label, int Index, double Probability, IReadOnlyList<float> Logits, IReadOnlyList<float> Probabilities)
{
    /// <summary>Gets, for <see cref="LongTextMode.Windows"/>, the number of windows whose logits were averaged (0 when the text fitted one run).</summary>
    public int Windows { get; init; }

    /// <summary>Gets whether the text was cut to the model's token limit.</summary>
    public bool Truncated { get; init; }
}

/// <summary>One window of a <see cref="LongTextMode.Windows"/> explanation, explained alone with the request's settings.</summary>
/// <param name="Index">The window's position in text order.</param>
/// <param name="TokenStart">The window's text tokens are <see cref="Explanation.Tokens"/>[TokenStart, TokenEnd) (its own [CLS] and [SEP] are not in the result).</param>
/// <param name="TokenEnd">One past the window's last token in <see cref="Explanation.Tokens"/>.</param>
/// <param name="Start">Start offset (UTF-16 code units) of the window in the text.</param>
/// <param name="End">End offset, exclusive.</param>
/// <param name="Prediction">The model's prediction for the window alone.</param>
/// <param name="ScoreInput">F(window): the target logit on the window.</param>
/// <param name="ScoreBaseline">F(baseline of the window).</param>
/// <param name="ConvergenceDelta">The window's sum of attributions minus (F(window) - F(baseline)).</param>
/// <param name="Steps">The steps the window was integrated with (its own in adaptive mode).</param>
public sealed record ExplanationWindow(
    int Index, int TokenStart, int TokenEnd, int Start, int End, Prediction Prediction, double ScoreInput, double ScoreBaseline, double ConvergenceDelta, int Steps);

/// <summary>Progress of an explanation after one internal batch.</summary>
/// <param name="StepsDone">Integration steps evaluated so far.</param>
/// <param name="StepsTotal">Steps planned (it may grow in adaptive mode).</param>
/// <param name="PartialTokens">Tokens with the attributions accumulated so far.</param>
/// <param name="Elapsed">Time since the explanation started.</param>
public sealed record ExplainProgress(int StepsDone, int StepsTotal, IReadOnlyList<TokenAttribution> PartialTokens, TimeSpan Elapsed);

/// <summary>ERASER faithfulness at one fraction of the text tokens (docs/faithfulness.md).</summary>
/// <param name="Fraction">Fraction of the text tokens (0.1 ... 0.5).</param>
/// <param name="Tokens">The token count the fraction rounds to (ceil, at least 1).</param>
/// <param name="Comprehensiveness">p(target | x) - p(target | x with the top tokens replaced).</param>
/// <param name="Sufficiency">p(target | x) - p(target | only the top tokens kept).</param>
/// <param name="RandomComprehensiveness">Comprehensiveness of random rankings, averaged.</param>
/// <param name="RandomSufficiency">Sufficiency of random rankings, averaged.</param>
public sealed record FaithfulnessPoint(
    double Fraction, int Tokens, double Comprehensiveness, double Sufficiency, double RandomComprehensiveness, double RandomSufficiency);

/// <summary>ERASER faithfulness of an explanation's token ranking, and of random rankings as the reference.</summary>
/// <param name="Points">One point per fraction, smallest first.</param>
/// <param name="ComprehensivenessAopc">Mean comprehensiveness over the points (higher: more faithful).</param>
/// <param name="SufficiencyAopc">Mean sufficiency over the points (lower: more faithful).</param>
/// <param name="RandomComprehensivenessAopc">The same for the random rankings.</param>
/// <param name="RandomSufficiencyAopc">The same for the random rankings.</param>
/// <param name="RandomRankings">Random rankings averaged.</param>
/// <param name="ReplacementToken">The token that replaces removed tokens (e.g. "[PAD]").</param>
public sealed record FaithfulnessScores(
    IReadOnlyList<FaithfulnessPoint> Points, double ComprehensivenessAopc, double SufficiencyAopc,
    double RandomComprehensivenessAopc, double RandomSufficiencyAopc, int RandomRankings, string ReplacementToken);

/// <summary>The result of one explanation.</summary>
public sealed record Explanation
{
    /// <summary>Gets the per-token attributions, special tokens included.</summary>
    public required IReadOnlyList<TokenAttribution> Tokens { get; init; }
    /// <summary>
    /// Gets the attributions merged to whole words: a token and its <c>##</c> pieces become one entry with the original
    /// word's text and span and the sum of the pieces' attributions, normalised by the L2 norm over words. Punctuation
    /// marks are words of their own (as BERT splits them); [CLS] and [SEP] stay as entries of their own.
    /// </summary>
    public required IReadOnlyList<TokenAttribution> Words { get; init; }
    /// <summary>Gets the model's prediction for the input.</summary>
    public required Prediction Prediction { get; init; }
    /// <summary>Gets the explained class index.</summary>
    public required int TargetIndex { get; init; }
    /// <summary>Gets the explained class label.</summary>
    public required string TargetLabel { get; init; }
    /// <summary>Gets F(x): the target logit on the input.</summary>
    public required double ScoreInput { get; init; }
    /// <summary>Gets F(x'): the target logit on the baseline.</summary>
    public required double ScoreBaseline { get; init; }
    /// <summary>Gets sum(attributions) - (F(x) - F(x')).</summary>
    public required double ConvergenceDelta { get; init; }
    /// <summary>Gets the sum of all attributions.</summary>
    public required double AttributionSum { get; init; }
    /// <summary>Gets the number of steps used.</summary>
    public required int Steps { get; init; }
    /// <summary>Gets the integration rule used.</summary>
    public required IntegrationMethod Method { get; init; }
    /// <summary>Gets the baseline used.</summary>
    public required BaselineKind Baseline { get; init; }
    /// <summary>Gets the model name.</summary>
    public required string Model { get; init; }
    /// <summary>Gets the ONNX Runtime execution provider that ran the computation (e.g. CPUExecutionProvider).</summary>
    public required string ExecutionProvider { get; init; }
    /// <summary>Gets whether the text was truncated to the model's token limit.</summary>
    public required bool Truncated { get; init; }
    /// <summary>
    /// Gets, for <see cref="LongTextMode.Windows"/> on a text over the model's limit, the windows in text order (empty
    /// otherwise). <see cref="Tokens"/> and <see cref="Words"/> then cover the whole text, each token's attribution taken
    /// from the window where it is farthest from an edge; <see cref="Prediction"/> is the softmax of the mean of the
    /// windows' logits; <see cref="ScoreInput"/> and <see cref="ScoreBaseline"/> are the means of the windows' (the
    /// former is the target's mean logit); <see cref="ConvergenceDelta"/> is the window delta of largest magnitude;
    /// <see cref="Steps"/> is the most steps any window took.
    /// </summary>
    public IReadOnlyList<ExplanationWindow> Windows { get; init; } = [];
    /// <summary>Gets the ERASER faithfulness scores when the request asked for them, otherwise null.</summary>
    public FaithfulnessScores? Faithfulness { get; init; }
    /// <summary>Gets the wall time spent.</summary>
    public required TimeSpan Elapsed { get; init; }
}
