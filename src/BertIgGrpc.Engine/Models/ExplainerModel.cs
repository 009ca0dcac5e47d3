using System.Diagnostics;
using System.Security.Cryptography;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Tokenization;
using Microsoft.Extensions.Logging;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A loaded classifier: its tokenizer, its ONNX Runtime sessions (forward and gradient graph,
/// created once and shared by concurrent calls) and the attribution engine bound to them.
/// </summary>
public sealed class ExplainerModel : IDisposable
{
    /// <summary>Texts per forward run in <see cref="Predict(PredictionPlan, CancellationToken)"/> (fewer when the memory budget says so).</summary>
    private const int PredictBatchSize = 32;

    private readonly ModelDefinition _definition;
    private readonly BertTextTokenizer _tokenizer;
    private readonly IAttributionRuntime _runtime;
    private readonly RuntimeSettings _settings;
    private readonly LayerIntegratedGradients _integratedGradients;
    private int _disposed;

    /// <summary>Binds a tokenizer and a runtime into a model. The model owns <paramref name="runtime"/> and disposes it.</summary>
    /// <param name="definition">The model's configuration (name, labels, token limit).</param>
    /// <param name="tokenizer">The tokenizer built from the model's vocabulary.</param>
    /// <param name="runtime">The forward and gradient computations.</param>
    /// <param name="sha256">Hex sha256 of the model file.</param>
    /// <param name="settings">Runtime settings (default internal batch size).</param>
    /// <exception cref="ModelLoadException">The runtime's class count does not match the labels.</exception>
    public ExplainerModel(ModelDefinition definition, BertTextTokenizer tokenizer, IAttributionRuntime runtime, string sha256, RuntimeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(settings);
        if (runtime.NumClasses != definition.Labels.Count)
        {
            throw new ModelLoadException(definition.Name, $"the model has {runtime.NumClasses} outputs per row but {definition.Labels.Count} labels are configured.");
        }

        if (definition.MaxTokens < 3)
        {
            throw new ModelLoadException(definition.Name, $"MaxTokens is {definition.MaxTokens}; at least 3 are needed for [CLS] x [SEP].");
        }

        _definition = definition;
        _tokenizer = tokenizer;
        _runtime = runtime;
        _settings = settings;
        RunMemoryBudgetBytes = settings.Limits.ResolveMaxRunMemoryBytes(LayerIntegratedGradients.DefaultRunsInFlight);
        _integratedGradients = new LayerIntegratedGradients(runtime, tokenizer.PadId, LayerIntegratedGradients.DefaultRunsInFlight, MaxRowsPerRun);
        Name = definition.Name;
        Labels = definition.Labels.ToArray();
        MaxTokens = Math.Min(definition.MaxTokens, BertTextTokenizer.AbsoluteMaxTokens);
        CutTensor = runtime.CutTensor;
        CutDescription = runtime.CutDescription;
        Sha256 = sha256 ?? "";
        ExecutionProvider = runtime.ExecutionProvider;
        HiddenSize = runtime.HiddenSize;
    }

    /// <summary>Gets the model name.</summary>
    public string Name { get; }
    /// <summary>Gets the class labels in logit order.</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Gets the maximum sequence length, special tokens included.</summary>
    public int MaxTokens { get; }
    /// <summary>Gets the name of the tensor attributions are taken at.</summary>
    public string CutTensor { get; }
    /// <summary>Gets where the cut sits, in words (e.g. "the embeddings LayerNorm output"), for logs and messages.</summary>
    public string CutDescription { get; }
    /// <summary>Gets the hex sha256 of the model file.</summary>
    public string Sha256 { get; }
    /// <summary>Gets the execution provider the sessions run on.</summary>
    public string ExecutionProvider { get; }
    /// <summary>Gets the hidden size at the cut.</summary>
    public int HiddenSize { get; }

    /// <summary>Gets the memory one ONNX Runtime run may take (<c>BertIg:Limits:MaxRunMemoryMB</c>), in bytes.</summary>
    public long RunMemoryBudgetBytes { get; }

    /// <summary>
    /// Gets the most rows one run of <paramref name="seqLen"/> tokens may have so that its estimated activation memory
    /// stays within <see cref="RunMemoryBudgetBytes"/>; at least 1 (one row is always run).
    /// </summary>
    public int MaxRowsPerRun(int seqLen)
    {
        var perRow = _runtime.ActivationBytesPerRow(seqLen);
        return perRow <= 0 ? int.MaxValue : (int)Math.Clamp(RunMemoryBudgetBytes / perRow, 1, int.MaxValue);
    }

    /// <summary>Gets the tokenizer.</summary>
    public BertTextTokenizer Tokenizer => _tokenizer;

    /// <summary>
    /// Loads a model: the tokenizer from <see cref="ModelDefinition.VocabPath"/>, the ONNX Runtime sessions from
    /// <see cref="ModelDefinition.ModelPath"/>. Throws <see cref="ModelLoadException"/> naming the model and the problem.
    /// </summary>
    public static ExplainerModel Load(ModelDefinition def, RuntimeSettings settings, ILogger logger) => Load(def, settings, logger, null);

    /// <summary>As <see cref="Load(ModelDefinition, RuntimeSettings, ILogger)"/>, with the runtime passed through <paramref name="decorate"/> (tests only).</summary>
    internal static ExplainerModel Load(ModelDefinition def, RuntimeSettings settings, ILogger logger, Func<IAttributionRuntime, IAttributionRuntime>? decorate)
    {
        ArgumentNullException.ThrowIfNull(def);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        BertTextTokenizer tokenizer;
        string sha256;
        try
        {
            tokenizer = BertTextTokenizer.Create(def.VocabPath, def.LowerCase);
            using var stream = File.OpenRead(def.ModelPath);
            sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException)
        {
            throw new ModelLoadException(def.Name, $"cannot read the vocabulary '{def.VocabPath}' or the model '{def.ModelPath}': {e.Message}", e);
        }

        IAttributionRuntime runtime = OnnxAttributionRuntime.Create(def, settings, logger);
        runtime = decorate?.Invoke(runtime) ?? runtime;
        try
        {
            return new ExplainerModel(def, tokenizer, runtime, sha256, settings);
        }
        catch
        {
            runtime.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Validates and tokenizes one request and checks it against <c>BertIg:Limits</c>, without computing anything, so a
    /// caller can refuse it before admitting it. Run it with <see cref="ExplainAsync(ExplanationPlan, IProgress{ExplainProgress}?, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="InvalidExplainRequestException">Input the model cannot take, or a text too long for any number of steps.</exception>
    /// <exception cref="RequestLimitExceededException">Tokens x steps over <c>BertIg:Limits:MaxTokenSteps</c>.</exception>
    public ExplanationPlan Plan(ExplainRequestOptions request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Prepare(request);
    }

    /// <summary>Explains a request planned by <see cref="Plan"/> on this model.</summary>
    public async Task<Explanation> ExplainAsync(ExplanationPlan plan, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!ReferenceEquals(plan.Model, this))
        {
            throw new ArgumentException($"The plan was made by model '{plan.Model.Name}', not '{Name}'.", nameof(plan));
        }

        var results = await Task.Run(() => ExplainCore([plan], progress, cancellationToken), cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Explains one text. Throws <see cref="InvalidExplainRequestException"/> for input the model cannot take.</summary>
    /// <remarks>
    /// The work runs on a thread-pool thread. <paramref name="progress"/> is called on that thread, synchronously and in
    /// order, once per gradient run; a caller that streams the events should hand them to a channel rather than block.
    /// Cancellation is observed between gradient runs and surfaces as <see cref="OperationCanceledException"/>.
    /// </remarks>
    public async Task<Explanation> ExplainAsync(ExplainRequestOptions request, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var results = await ExplainManyAsync([request], progress, cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>
    /// Explains several texts in one call; their rows are batched together, each with its own target. Requests with
    /// different integration settings (steps, method, batch size, zero vs token baseline, ...) run as separate groups.
    /// Progress events carry <see cref="ExplainProgress.TextIndex"/>, the request's position in <paramref name="requests"/>.
    /// </summary>
    public Task<IReadOnlyList<Explanation>> ExplainManyAsync(IReadOnlyList<ExplainRequestOptions> requests, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // Validation and tokenization are cheap and throw the caller's errors synchronously-in-task; the
        // integration loop is CPU-bound, so it runs on the thread pool rather than the caller's thread.
        return Task.Run(() => ExplainCore(Prepare(requests), progress, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Validates and tokenizes texts for <see cref="Predict(PredictionPlan, CancellationToken)"/> and checks them against
    /// <c>BertIg:Limits:MaxPredictTokens</c>, without running the model.
    /// </summary>
    /// <exception cref="InvalidExplainRequestException">A text is null, over the token limit without <paramref name="truncate"/>, or alone over <c>MaxPredictTokens</c> (field <c>texts</c>).</exception>
    /// <exception cref="RequestLimitExceededException">The texts together are over <c>BertIg:Limits:MaxPredictTokens</c>.</exception>
    public PredictionPlan PlanPrediction(IReadOnlyList<string> texts, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var encoded = new EncodedText[texts.Count];
        var maxTokens = _settings.Limits.MaxPredictTokens;
        long tokens = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
            {
                throw new InvalidExplainRequestException("texts", $"texts[{i}] is null.");
            }

            try
            {
                encoded[i] = _tokenizer.Encode(texts[i], null, MaxTokens, truncate);
            }
            catch (InvalidExplainRequestException e)
            {
                throw new InvalidExplainRequestException("texts", $"texts[{i}]: {e.Message}");
            }

            if (maxTokens > 0 && encoded[i].Length > maxTokens)
            {
                throw new InvalidExplainRequestException("texts", $"texts[{i}] has {encoded[i].Length} tokens, more than BertIg:Limits:MaxPredictTokens ({maxTokens}) allows for a whole request.");
            }

            tokens += encoded[i].Length;
        }

        if (maxTokens > 0 && tokens > maxTokens)
        {
            throw new RequestLimitExceededException("BertIg:Limits:MaxPredictTokens", tokens, maxTokens,
                $"The texts have {tokens} tokens together, more than BertIg:Limits:MaxPredictTokens ({maxTokens}); send fewer or shorter texts per request.");
        }

        return new PredictionPlan(this, encoded, tokens);
    }

    /// <summary>Classifies texts in padded batches.</summary>
    /// <exception cref="InvalidExplainRequestException">A text is null or over the token limit without <paramref name="truncate"/> (field <c>texts</c>).</exception>
    /// <exception cref="RequestLimitExceededException">The texts together are over <c>BertIg:Limits:MaxPredictTokens</c>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the run in flight is stopped too).</exception>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts, bool truncate = false, CancellationToken cancellationToken = default)
        => Predict(PlanPrediction(texts, truncate), cancellationToken);

    /// <summary>Classifies texts planned by <see cref="PlanPrediction"/>, in padded batches within the memory budget.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the run in flight is stopped too).</exception>
    public IReadOnlyList<Prediction> Predict(PredictionPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!ReferenceEquals(plan.Model, this))
        {
            throw new ArgumentException($"The plan was made by model '{plan.Model.Name}', not '{Name}'.", nameof(plan));
        }

        var encoded = plan.Encoded;
        var predictions = new Prediction[encoded.Count];
        var classes = _runtime.NumClasses;
        for (var first = 0; first < encoded.Count;)
        {
            // Grow the batch while the padded batch fits the budget (a forward run holds less than a gradient run, so this is conservative).
            var rows = 0;
            var seqLen = 0;
            while (first + rows < encoded.Count && rows < PredictBatchSize)
            {
                var longer = Math.Max(seqLen, encoded[first + rows].Length);
                if (rows > 0 && rows + 1 > MaxRowsPerRun(longer))
                {
                    break;
                }

                seqLen = longer;
                rows++;
            }

            var ids = new long[rows * seqLen];                          // [rows, S]
            var mask = new long[rows * seqLen];                         // [rows, S]
            var types = new long[rows * seqLen];                        // [rows, S]
            for (var r = 0; r < rows; r++)
            {
                var e = encoded[first + r];
                for (var s = 0; s < seqLen; s++)
                {
                    var real = s < e.Length;
                    ids[r * seqLen + s] = real ? e.Ids[s] : _tokenizer.PadId;
                    mask[r * seqLen + s] = real ? 1 : 0;
                    types[r * seqLen + s] = real ? e.TokenTypeIds[s] : 0;
                }
            }

            var logits = _runtime.Logits(ids, mask, types, rows, seqLen, cancellationToken); // [rows, C]
            for (var r = 0; r < rows; r++)
            {
                predictions[first + r] = ToPrediction(logits.AsSpan(r * classes, classes).ToArray());
            }

            first += rows;
        }

        return predictions;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _runtime.Dispose();
        }
    }

    private ExplanationPlan[] Prepare(IReadOnlyList<ExplainRequestOptions> requests)
    {
        var prepared = new ExplanationPlan[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            prepared[i] = Prepare(requests[i] ?? throw new ArgumentNullException(nameof(requests), $"requests[{i}] is null."));
        }

        return prepared;
    }

    private IReadOnlyList<Explanation> ExplainCore(IReadOnlyList<ExplanationPlan> prepared, IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        using var activity = EngineTelemetry.StartExplain(Name, prepared.Count);
        var stopwatch = Stopwatch.StartNew();
        var explanations = new Explanation[prepared.Count];
        foreach (var group in Enumerable.Range(0, prepared.Count).GroupBy(i => (prepared[i].Settings, prepared[i].Request.Baseline == BaselineKind.Zero)))
        {
            var members = group.ToArray();
            var inputs = members.Select(i => prepared[i].Input).ToArray();
            IProgress<IgProgress>? groupProgress = progress is null ? null : new SynchronousProgress(p =>
            {
                foreach (var (i, partial) in members.Select((i, k) => (i, p.PartialTokenAttributions[k])))
                {
                    if (partial is not null)
                    {
                        progress.Report(new ExplainProgress(p.StepsDone, p.StepsTotal, TokenAggregation.Tokens(prepared[i].Encoded, partial), stopwatch.Elapsed) { TextIndex = i });
                    }
                }
            });

            var results = _integratedGradients.Attribute(inputs, group.Key.Settings, groupProgress, cancellationToken);
            for (var k = 0; k < members.Length; k++)
            {
                using var resultActivity = EngineTelemetry.StartResult();
                var i = members[k];
                var result = results[k];
                var encoded = prepared[i].Encoded;
                explanations[i] = new Explanation
                {
                    Tokens = TokenAggregation.Tokens(encoded, result.TokenAttributions),
                    Words = TokenAggregation.Words(encoded, result.TokenAttributions),
                    Prediction = ToPrediction(result.InputLogits),
                    TargetIndex = result.Target,
                    TargetLabel = Labels[result.Target],
                    ScoreInput = result.ScoreInput,
                    ScoreBaseline = result.ScoreBaseline,
                    ConvergenceDelta = result.ConvergenceDelta,
                    AttributionSum = result.AttributionSum,
                    Steps = result.Steps,
                    Method = prepared[i].Request.Method,
                    Baseline = prepared[i].Request.Baseline,
                    Model = Name,
                    ExecutionProvider = ExecutionProvider,
                    Truncated = encoded.Truncated,
                    Elapsed = stopwatch.Elapsed,
                };
            }
        }

        return explanations;
    }

    private ExplanationPlan Prepare(ExplainRequestOptions request)
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

        var minimumSteps = request.Method == IntegrationMethod.GaussLegendre ? 1 : 2;
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
        var encoded = _tokenizer.Encode(request.Text, request.TextPair, MaxTokens, request.Truncate);
        int[]? baselineIds = request.Baseline switch
        {
            BaselineKind.Pad => encoded.BaselineIds(_tokenizer.PadId),
            BaselineKind.Mask => encoded.BaselineIds(_tokenizer.MaskId),
            BaselineKind.Unk => encoded.BaselineIds(_tokenizer.UnkId),
            _ => null,
        };

        // On a GPU few large runs pay (each run has a fixed cost of launches and copies): rows per run then come from the
        // memory budget alone, hundreds for short texts. On CPU the default keeps progress events frequent.
        var batchSize = request.InternalBatchSize > 0 ? request.InternalBatchSize
            : ExecutionProvider == SessionFactory.Cuda ? int.MaxValue
            : Math.Max(1, _settings.DefaultInternalBatchSize);
        var settings = new IgSettings(request.Method, request.Steps, batchSize, request.MultiplyByInputs, request.Tolerance, request.Tolerance > 0 ? request.MaxSteps : request.Steps);
        var tokenSteps = CheckTokenSteps(encoded.Length, settings.MaxSteps, minimumSteps);
        return new ExplanationPlan(this, request, encoded, new IgInput(encoded.Ids, baselineIds, encoded.TokenTypeIds, target), settings, tokenSteps);
    }

    /// <summary>Checks tokens x steps (the adaptive cap in adaptive mode) against <c>BertIg:Limits:MaxTokenSteps</c>; returns the figure.</summary>
    private long CheckTokenSteps(int tokens, int steps, int minimumSteps)
    {
        var figure = tokens * (long)steps;
        var limit = _settings.Limits.MaxTokenSteps;
        if (limit <= 0 || figure <= limit)
        {
            return figure;
        }

        if (tokens * (long)minimumSteps > limit)
        {
            // No step count would do: the text itself is too long for this server.
            throw new InvalidExplainRequestException("text",
                $"The text has {tokens} tokens; even {minimumSteps} step(s) would exceed BertIg:Limits:MaxTokenSteps ({limit} tokens x steps). Shorten it or set truncate.");
        }

        throw new RequestLimitExceededException("BertIg:Limits:MaxTokenSteps", figure, limit,
            $"The request needs {tokens} tokens x {steps} steps = {figure}, more than BertIg:Limits:MaxTokenSteps ({limit}); use at most {limit / tokens} steps for this text, or a shorter text.");
    }

    private int? ResolveTarget(ExplainRequestOptions request)
    {
        if (request.TargetIndex is { } index)
        {
            if (request.TargetLabel is not null)
            {
                throw new InvalidExplainRequestException("target_label", "Set either target_index or target_label, not both.");
            }

            if (index < 0 || index >= Labels.Count)
            {
                throw new InvalidExplainRequestException("target_index", $"target_index {index} is out of range; model '{Name}' has classes 0 to {Labels.Count - 1}.");
            }

            return index;
        }

        if (request.TargetLabel is { } label)
        {
            for (var i = 0; i < Labels.Count; i++)
            {
                if (string.Equals(Labels[i], label, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            // Accept a different casing only when it picks exactly one label.
            var folded = Enumerable.Range(0, Labels.Count).Where(i => string.Equals(Labels[i], label, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (folded.Length == 1)
            {
                return folded[0];
            }

            throw new InvalidExplainRequestException("target_label", $"Unknown target_label '{label}'. Model '{Name}' has labels: {string.Join(", ", Labels)}.");
        }

        return null;
    }

    private Prediction ToPrediction(float[] logits)
    {
        // Softmax in double, shifted by the maximum for stability.
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var total = exp.Sum();
        var probabilities = exp.Select(e => (float)(e / total)).ToArray();
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return new Prediction(Labels[best], best, exp[best] / total, logits, probabilities);
    }


    /// <summary>Calls back on the reporting thread, in order (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
    private sealed class SynchronousProgress(Action<IgProgress> report) : IProgress<IgProgress>
    {
        public void Report(IgProgress value) => report(value);
    }
}
