using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A validated, tokenized explanation request within the limits, not yet computed (<see cref="ExplainerModel.Plan"/>).
/// Its figures let a caller admit it by cost before any work is done.
/// </summary>
public sealed class ExplanationPlan
{
    internal ExplanationPlan(ExplainerModel model, ExplainRequestOptions request, EncodedText encoded, IgInput input, IgSettings settings, long tokenSteps)
    {
        Model = model;
        Request = request;
        Encoded = encoded;
        Input = input;
        Settings = settings;
        TokenSteps = tokenSteps;
    }

    /// <summary>
    /// A plan of overlapping windows: <paramref name="windows"/> holds the whole text and the model inputs;
    /// <paramref name="wholeInput"/> is the whole text's ids and baseline ids (never run as such: the faithfulness rows are built from it).
    /// </summary>
    internal ExplanationPlan(ExplainerModel model, ExplainRequestOptions request, WindowedText windows, IgInput wholeInput, IgSettings settings, long tokenSteps)
        : this(model, request, windows.Whole, wholeInput, settings, tokenSteps)
    {
        Windowed = windows;
    }

    /// <summary>Gets the number of tokens of the text, special tokens included (the whole text's when it is explained in windows).</summary>
    public int Tokens => Encoded.Length;

    /// <summary>Gets the number of windows the text is explained in (0 when it fits the model in one run).</summary>
    public int Windows => Windowed?.Windows.Count ?? 0;

    /// <summary>
    /// Gets tokens x steps (the adaptive cap in adaptive mode), times the class count with <c>AllTargets</c>, plus tokens x
    /// the faithfulness rows with <c>Faithfulness</c>, summed over the windows of a windowed text: the request's cost.
    /// </summary>
    public long TokenSteps { get; }

    internal ExplainerModel Model { get; }
    internal ExplainRequestOptions Request { get; }
    internal EncodedText Encoded { get; }
    internal IgInput Input { get; }
    internal IgSettings Settings { get; }
    /// <summary>Gets the windows when the text is explained in windows, else null (then <see cref="Input"/> is the one input that is run).</summary>
    internal WindowedText? Windowed { get; }
}

/// <summary>One window of a long text, planned: where it lies and its model input.</summary>
/// <param name="Tokens">Its text tokens in the whole text.</param>
/// <param name="Encoded">Its encoding, <c>[CLS] tokens [SEP]</c>, with offsets into the whole text.</param>
/// <param name="Input">Its model input (the target is the request's, or null until the whole-text prediction picks it).</param>
internal sealed record PlannedWindow(TextWindow Tokens, EncodedText Encoded, IgInput Input);

/// <summary>A text cut into overlapping windows (<see cref="LongTextMode.Windows"/>).</summary>
/// <param name="Whole">The whole text's tokens, <c>[CLS] text [SEP]</c>, beyond the model's limit.</param>
/// <param name="Windows">The windows in text order.</param>
/// <param name="Owners">Per text token, the window its attribution is taken from (<see cref="TextWindows.Owners"/>).</param>
internal sealed record WindowedText(EncodedText Whole, IReadOnlyList<PlannedWindow> Windows, int[] Owners)
{
    /// <summary>Gets the model inputs' tokens together, special tokens included.</summary>
    public long Tokens => Windows.Sum(w => (long)w.Encoded.Length);

    /// <summary>
    /// Stitches per-window token attributions (each <c>[CLS] tokens [SEP]</c>) into one over <see cref="Whole"/>: each text
    /// token's from its owner window, [CLS] from the first window and the final [SEP] from the last; a window without
    /// attributions yet (null) counts as zeros.
    /// </summary>
    public double[] Stitch(Func<int, double[]?> windowAttributions)
    {
        var result = new double[Whole.Length];
        result[0] = windowAttributions(0)?[0] ?? 0;
        result[^1] = windowAttributions(Windows.Count - 1)?[^1] ?? 0;
        for (var i = 0; i < Owners.Length; i++)
        {
            var w = Owners[i];
            result[1 + i] = windowAttributions(w)?[1 + i - Windows[w].Tokens.TokenStart] ?? 0;
        }

        return result;
    }
}

/// <summary>Texts tokenized for <see cref="ExplainerModel.PredictAsync(PredictionPlan, CancellationToken)"/>, within the limits (<see cref="ExplainerModel.PlanPrediction(IReadOnlyList{string}, LongTextMode, int)"/>).</summary>
public sealed class PredictionPlan
{
    /// <summary>A plan of one model input per text.</summary>
    internal PredictionPlan(ExplainerModel model, IReadOnlyList<EncodedText> encoded, long tokens)
        : this(model, encoded, new int[encoded.Count], tokens)
    {
    }

    internal PredictionPlan(ExplainerModel model, IReadOnlyList<EncodedText> encoded, IReadOnlyList<int> windows, long tokens)
    {
        Model = model;
        Encoded = encoded;
        WindowCounts = windows;
        Tokens = tokens;
    }

    /// <summary>Gets the tokens of all model inputs together (every window's, for texts in windows).</summary>
    public long Tokens { get; }

    internal ExplainerModel Model { get; }
    /// <summary>Gets the model inputs in text order: one per text, or a text's windows one after another.</summary>
    internal IReadOnlyList<EncodedText> Encoded { get; }
    /// <summary>Gets per text its number of windows (0: one input of its own).</summary>
    internal IReadOnlyList<int> WindowCounts { get; }
}
