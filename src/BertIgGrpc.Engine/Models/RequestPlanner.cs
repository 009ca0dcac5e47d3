using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// Request preparation for one <see cref="ExplainerModel"/>: validates and tokenizes explanation and prediction
/// requests, resolves targets, and checks them against <c>BertIg:Limits</c>, all before any computation.
/// </summary>
internal sealed class RequestPlanner(ExplainerModel model, BertTextTokenizer tokenizer, RuntimeSettings settings)
{
    /// <summary>Validates, tokenizes and costs one explanation request.</summary>
    public ExplanationPlan Plan(ExplainRequestOptions request)
    {
        if (string.IsNullOrWhiteSpace(request.Text))
        {
            throw new InvalidExplainRequestException("text", "text must not be empty or blank.");
        }

        if (!Enum.IsDefined(request.Method))
        {
            throw new InvalidExplainRequestException("method", $"Unknown integration method {(int)request.Method}.");
        }

        if (!Enum.IsDefined(request.Baseline))
        {
            throw new InvalidExplainRequestException("baseline", $"Unknown baseline {(int)request.Baseline}.");
        }

        var minimumSteps = ApproximationMethods.MinimumSteps(request.Method);
        if (request.Steps < minimumSteps)
        {
            throw new InvalidExplainRequestException("n_steps", $"n_steps is {request.Steps}; {request.Method} needs at least {minimumSteps}.");
        }

        if (request.InternalBatchSize < 0)
        {
            throw new InvalidExplainRequestException("internal_batch_size", $"internal_batch_size is {request.InternalBatchSize}; it must be 0 (server default) or positive.");
        }

        if (double.IsNaN(request.Tolerance) || request.Tolerance < 0 || request.Tolerance >= 1)
        {
            throw new InvalidExplainRequestException("tolerance", $"tolerance is {request.Tolerance}; it must be in [0, 1).");
        }

        if (request.Tolerance > 0 && request.MaxSteps < request.Steps)
        {
            throw new InvalidExplainRequestException("max_steps", $"max_steps ({request.MaxSteps}) is below n_steps ({request.Steps}).");
        }

        var target = ResolveTarget(request);
        var windowed = PlanWindows(request.Text, request.LongText, request.WindowStride, request.TextPair is not null, e => Input(e, request.Baseline, target) with { AllTargets = request.AllTargets });

        var encoded = windowed is null ? tokenizer.Encode(request.Text, request.TextPair, model.MaxTokens, request.Truncate) : windowed.Whole;

        // On a GPU few large runs pay (each run has a fixed cost of launches and copies): rows per run then come from the
        // memory budget alone, hundreds for short texts. On CPU the default keeps progress events frequent.
        var batchSize = request.InternalBatchSize > 0 ? request.InternalBatchSize
            : model.ExecutionProvider == SessionFactory.Cuda ? int.MaxValue
            : Math.Max(1, settings.DefaultInternalBatchSize);
        var igSettings = new IgSettings(request.Method, request.Steps, batchSize, request.MultiplyByInputs, request.Tolerance, request.Tolerance > 0 ? request.MaxSteps : request.Steps);
        // Faithfulness rows run every window of the text (each perturbed text is classified as the text is), so they count every window's tokens too.
        var forwardRows = request.Faithfulness ? FaithfulnessScoring.RowsPerText : 0;
        if (windowed is not null)
        {
            var windowPaths = request.AllTargets ? CheckAllTargets(windowed.Windows.Max(w => w.Encoded.Length)) : 1;
            var windowSteps = CheckTokenSteps(windowed.Tokens, igSettings.MaxSteps, minimumSteps, windowPaths, forwardRows, $" in {windowed.Windows.Count} windows");
            return new ExplanationPlan(model, request, windowed, Input(windowed.Whole, request.Baseline, target), igSettings, windowSteps);
        }

        var paths = request.AllTargets ? CheckAllTargets(encoded.Length) : 1;
        var tokenSteps = CheckTokenSteps(encoded.Length, igSettings.MaxSteps, minimumSteps, paths, forwardRows, "");
        return new ExplanationPlan(model, request, encoded, Input(encoded, request.Baseline, target) with { AllTargets = request.AllTargets }, igSettings, tokenSteps);
    }

    /// <summary>Validates and tokenizes texts for a prediction and checks them against <c>BertIg:Limits:MaxPredictTokens</c>.</summary>
    public PredictionPlan PlanPrediction(IReadOnlyList<string> texts, LongTextMode longText, int windowStride)
    {
        if (!Enum.IsDefined(longText))
        {
            throw new InvalidExplainRequestException("long_text", $"Unknown long_text mode {(int)longText}.");
        }

        var encoded = new List<EncodedText>(texts.Count);
        var windows = new int[texts.Count];
        var maxTokens = settings.Limits.MaxPredictTokens;
        long tokens = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
            {
                throw new InvalidExplainRequestException("texts", $"texts[{i}] is null.");
            }

            var windowed = PlanWindows(texts[i], longText, windowStride, textPair: false, input: null);
            IReadOnlyList<EncodedText> inputs;
            try
            {
                inputs = windowed is null ? [tokenizer.Encode(texts[i], null, model.MaxTokens, longText == LongTextMode.Truncate)] : windowed.Windows.Select(w => w.Encoded).ToArray();
            }
            catch (InvalidExplainRequestException e)
            {
                throw new InvalidExplainRequestException("texts", $"texts[{i}]: {e.Message}");
            }

            var textTokens = inputs.Sum(e => (long)e.Length);
            if (maxTokens > 0 && textTokens > maxTokens)
            {
                throw new InvalidExplainRequestException("texts", $"texts[{i}] has {textTokens} tokens{(windowed is null ? "" : " in its windows")}, more than BertIg:Limits:MaxPredictTokens ({maxTokens}) allows for a whole request.");
            }

            encoded.AddRange(inputs);
            windows[i] = windowed?.Windows.Count ?? 0;
            tokens += textTokens;
        }

        if (maxTokens > 0 && tokens > maxTokens)
        {
            throw new RequestLimitExceededException("BertIg:Limits:MaxPredictTokens", tokens, maxTokens,
                $"The texts have {tokens} tokens together, more than BertIg:Limits:MaxPredictTokens ({maxTokens}); send fewer or shorter texts per request.");
        }

        return new PredictionPlan(model, encoded, windows, tokens);
    }

    /// <summary>
    /// For <see cref="LongTextMode.Windows"/>: validates the stride (whatever the text's length) and, for a text over the
    /// model's limit, cuts it into windows (<see cref="TextWindows.Layout"/>); null when the text fits one run or the mode is another.
    /// </summary>
    private WindowedText? PlanWindows(string text, LongTextMode mode, int stride, bool textPair, Func<EncodedText, IgInput>? input)
    {
        if (mode != LongTextMode.Windows)
        {
            if (stride != 0)
            {
                throw new InvalidExplainRequestException("window_stride", $"window_stride is {stride}, but it only applies to long_text = LONG_TEXT_WINDOWS.");
            }

            return null;
        }

        if (textPair)
        {
            throw new InvalidExplainRequestException("long_text",
                "LONG_TEXT_WINDOWS cuts a single text into windows; it cannot be combined with text_pair (a pair is classified as one input, "
                + "and no window of one segment would see the whole other). Send the pair within the model's limit, or with long_text = LONG_TEXT_TRUNCATE.");
        }

        var width = model.MaxTokens - 2;
        var resolved = stride == 0 ? TextWindows.DefaultStride(width) : stride;
        if (resolved < 1 || resolved >= width)
        {
            throw new InvalidExplainRequestException("window_stride",
                $"window_stride is {resolved}{(stride == 0 ? " (half a window)" : "")}; it must be at least 1 and below the {width} text tokens of a window of model '{model.Name}'.");
        }

        var whole = tokenizer.EncodeWhole(text);
        if (whole.Length <= model.MaxTokens)
        {
            return null;
        }

        var continues = Enumerable.Range(1, whole.Length - 2).Select(i => whole.Tokens[i].StartsWith("##", StringComparison.Ordinal)).ToArray();
        var layout = TextWindows.Layout(continues, width, resolved);
        var windows = layout.Select(w =>
        {
            var encoded = whole.Window(w.TokenStart, w.TokenEnd);
            return new PlannedWindow(w, encoded, input?.Invoke(encoded) ?? new IgInput(encoded.Ids, null, encoded.TokenTypeIds, null));
        }).ToArray();
        return new WindowedText(whole, windows, TextWindows.Owners(layout, continues.Length));
    }

    /// <summary>The model input of one encoding: its ids, the baseline's (null for the zero baseline at the cut) and the target.</summary>
    private IgInput Input(EncodedText encoded, BaselineKind baseline, int? target)
    {
        int[]? baselineIds = baseline switch
        {
            BaselineKind.Pad => encoded.BaselineIds(tokenizer.PadId),
            BaselineKind.Mask => encoded.BaselineIds(tokenizer.MaskId),
            BaselineKind.Unk => encoded.BaselineIds(tokenizer.UnkId),
            _ => null,
        };
        return new IgInput(encoded.Ids, baselineIds, encoded.TokenTypeIds, target);
    }

    /// <summary>
    /// Checks that one step of every class fits one gradient run: <c>all_targets</c> puts one row per class in each run
    /// (the rows of a step are not split), so a model with more classes than the memory budget allows rows for this
    /// text is refused. Returns the number of paths (the class count).
    /// </summary>
    private int CheckAllTargets(int tokens)
    {
        var classes = model.Labels.Count;
        var rows = model.MaxRowsPerRun(tokens);
        if (classes > rows)
        {
            var key = BertIgLimitsOptions.RunMemoryKey(model.ExecutionProvider);
            throw new RequestLimitExceededException(key, classes, rows,
                $"all_targets puts one row per class in every gradient run: {classes} rows of {tokens} tokens, but the memory budget of one run "
                + $"({key}, {model.RunMemoryBudgetBytes / (1024 * 1024)} MiB) allows {rows}; explain the classes in separate requests (target_index) or send a shorter text.");
        }

        return classes;
    }

    /// <summary>
    /// Checks tokens x (steps x paths + forward rows) against <c>BertIg:Limits:MaxTokenSteps</c>; returns the figure. Steps
    /// are the adaptive cap in adaptive mode; paths are the classes of <c>all_targets</c> (else 1); forward rows are the
    /// faithfulness scores' rows, each counted as a step (a forward row costs less than a gradient step, so this is
    /// conservative).
    /// </summary>
    /// <param name="tokens">The model inputs' tokens together (every window's for a text in windows).</param>
    /// <param name="steps">Steps per input (the adaptive cap in adaptive mode).</param>
    /// <param name="minimumSteps">The fewest steps the method allows.</param>
    /// <param name="paths">Paths per input: the class count with <c>all_targets</c>, else 1.</param>
    /// <param name="forwardRows">Faithfulness rows per input.</param>
    /// <param name="note">Added to the token count in messages (e.g. " in 5 windows").</param>
    private long CheckTokenSteps(long tokens, int steps, int minimumSteps, int paths, int forwardRows, string note)
    {
        var figure = tokens * ((long)steps * paths + forwardRows);
        var limit = settings.Limits.MaxTokenSteps;
        if (limit <= 0 || figure <= limit)
        {
            return figure;
        }

        var faithfulness = forwardRows > 0 ? $" + {forwardRows} faithfulness rows" : "";
        if (paths > 1)
        {
            var advice = tokens * ((long)minimumSteps * paths + forwardRows) <= limit
                ? $"; use at most {(limit / tokens - forwardRows) / paths} steps with all_targets for this text, "
                : ", even at the fewest steps; ";
            throw new RequestLimitExceededException("BertIg:Limits:MaxTokenSteps", figure, limit,
                $"all_targets on {paths} classes needs {tokens} tokens{note} x ({steps} steps x {paths} classes{faithfulness}) = {figure}, more than BertIg:Limits:MaxTokenSteps ({limit})"
                + advice + "explain the classes in separate requests (target_index), or send a shorter text.");
        }

        if (tokens * ((long)minimumSteps + forwardRows) > limit)
        {
            // No step count would do: the text itself is too long for this server.
            throw new InvalidExplainRequestException("text",
                $"The text has {tokens} tokens{note}; even {minimumSteps} step(s){faithfulness} would exceed BertIg:Limits:MaxTokenSteps ({limit} tokens x steps). Shorten it{(forwardRows > 0 ? ", leave faithfulness off" : "")} or set truncate.");
        }

        throw new RequestLimitExceededException("BertIg:Limits:MaxTokenSteps", figure, limit,
            $"The request needs {tokens} tokens{note} x {(forwardRows > 0 ? $"({steps} steps{faithfulness})" : $"{steps} steps")} = {figure}, more than BertIg:Limits:MaxTokenSteps ({limit}); use at most {limit / tokens - forwardRows} steps for this text, or a shorter text.");
    }

    /// <summary>The class to explain: by index, by label (case-insensitive when unambiguous), or null for the predicted one.</summary>
    private int? ResolveTarget(ExplainRequestOptions request)
    {
        var labels = model.Labels;
        if (request.TargetIndex is { } index)
        {
            if (request.TargetLabel is not null)
            {
                throw new InvalidExplainRequestException("target_label", "Set either target_index or target_label, not both.");
            }

            if (index < 0 || index >= labels.Count)
            {
                throw new InvalidExplainRequestException("target_index", $"target_index {index} is out of range; model '{model.Name}' has classes 0 to {labels.Count - 1}.");
            }

            return index;
        }

        if (request.TargetLabel is { } label)
        {
            for (var i = 0; i < labels.Count; i++)
            {
                if (string.Equals(labels[i], label, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            // Accept a different casing only when it picks exactly one label.
            var folded = Enumerable.Range(0, labels.Count).Where(i => string.Equals(labels[i], label, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (folded.Length == 1)
            {
                return folded[0];
            }

            throw new InvalidExplainRequestException("target_label", $"Unknown target_label '{label}'. Model '{model.Name}' has labels: {string.Join(", ", labels)}.");
        }

        return null;
    }
}
