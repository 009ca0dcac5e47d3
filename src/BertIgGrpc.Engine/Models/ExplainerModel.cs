using System.Diagnostics;
using System.Security.Cryptography;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// A loaded classifier: its tokenizer, its ONNX Runtime sessions (forward and gradient graph,
/// created once and shared by concurrent calls) and the attribution engine bound to them.
/// </summary>
public sealed partial class ExplainerModel : IDisposable
{
    private readonly ModelDefinition _definition;
    private readonly BertTextTokenizer _tokenizer;
    private readonly IAttributionRuntime _runtime;
    private readonly RequestPlanner _planner;
    private readonly LayerIntegratedGradients _integratedGradients;
    private readonly PredictBatcher _predictBatcher;
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
        RunMemoryBudgetBytes = settings.Limits.ResolveMaxRunMemoryBytes(LayerIntegratedGradients.RunsInFlight, runtime.ExecutionProvider, settings.Models);
        Name = definition.Name;
        Labels = definition.Labels.ToArray();
        MaxTokens = Math.Min(definition.MaxTokens, BertTextTokenizer.AbsoluteMaxTokens);
        MaxPredictTokensInFlight = settings.Limits.ResolveMaxPredictTokensInFlight(MaxRowsPerRun(MaxTokens) * (long)MaxTokens, LayerIntegratedGradients.RunsInFlight);
        _integratedGradients = new LayerIntegratedGradients(runtime, tokenizer.PadId, MaxRowsPerRun, PaddedLength);
        _predictBatcher = new PredictBatcher(runtime, tokenizer.PadId, MaxRowsPerRun, PaddedLength, PredictBatchSize, settings.PredictBatchWaitMs);
        CutTensor = runtime.CutTensor;
        CutDescription = runtime.CutDescription;
        Sha256 = sha256 ?? "";
        ExecutionProvider = runtime.ExecutionProvider;
        HiddenSize = runtime.HiddenSize;
        _planner = new RequestPlanner(this, tokenizer, settings);
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

    /// <summary>
    /// Gets the memory one ONNX Runtime run may take, in bytes: <c>BertIg:Limits:MaxRunMemoryMB</c> (host memory) on CPU,
    /// <c>BertIg:Limits:MaxGpuRunMemoryMB</c> (device memory) on CUDA, or their defaults.
    /// </summary>
    public long RunMemoryBudgetBytes { get; }

    /// <summary>
    /// Gets the most tokens of Predict calls a server should compute at once on this model's account
    /// (<c>BertIg:Limits:MaxPredictTokensInFlight</c>, or its default from the memory budget and <see cref="MaxTokens"/>).
    /// </summary>
    public long MaxPredictTokensInFlight { get; }

    /// <summary>
    /// Gets the most rows one run of <paramref name="seqLen"/> tokens may have so that its estimated activation memory
    /// stays within <see cref="RunMemoryBudgetBytes"/>; at least 1 (one row is always run).
    /// </summary>
    public int MaxRowsPerRun(int seqLen)
    {
        var perRow = _runtime.ActivationBytesPerRow(seqLen);
        return perRow <= 0 ? int.MaxValue : (int)Math.Clamp(RunMemoryBudgetBytes / perRow, 1, int.MaxValue);
    }

    /// <summary>Gets the estimated activation memory of one row of <paramref name="seqLen"/> tokens at a run's peak, in bytes (0: unknown).</summary>
    public long ActivationBytesPerRow(int seqLen) => _runtime.ActivationBytesPerRow(seqLen);

    /// <summary>Gets the length runs pad <paramref name="tokens"/> tokens to (<see cref="LengthBuckets"/>, within <see cref="MaxTokens"/>).</summary>
    public int PaddedLength(int tokens) => LengthBuckets.Pad(tokens, MaxTokens);

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

        IAttributionRuntime runtime;
        try
        {
            runtime = OnnxAttributionRuntime.Create(OnnxModelFile.Load(def.ModelPath), def.CutTensor, def.Output, settings, logger);
        }
        catch (Exception e) when (e is OnnxGraphException or FileNotFoundException or OnnxRuntimeException or InvalidOperationException)
        {
            throw new ModelLoadException(def.Name, e.Message, e);
        }

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
    /// <exception cref="RequestLimitExceededException">
    /// Tokens x steps (x classes with <c>AllTargets</c>) over <c>BertIg:Limits:MaxTokenSteps</c>, or, with <c>AllTargets</c>,
    /// more classes than one run may hold rows of this length (<c>BertIg:Limits:MaxRunMemoryMB</c>).
    /// </exception>
    public ExplanationPlan Plan(ExplainRequestOptions request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _planner.Plan(request);
    }

    /// <summary>Explains one text. Throws <see cref="InvalidExplainRequestException"/> for input the model cannot take.</summary>
    public async Task<Explanation> ExplainAsync(ExplainRequestOptions request, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await ExplainAsync(Plan(request), progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Explains a request planned by <see cref="Plan"/> on this model.</summary>
    /// <remarks>
    /// Every ONNX Runtime run goes to the thread pool once and is awaited; the caller's thread is never blocked on it.
    /// <paramref name="progress"/> is called synchronously and in order, once per gradient run, on the thread that
    /// finished it; a caller that streams the events should hand them to a channel rather than block. The faithfulness
    /// scores (forward runs after the integration) report no progress.
    /// Cancellation stops the run in flight and surfaces as <see cref="OperationCanceledException"/>.
    /// A plan in windows (<see cref="LongTextMode.Windows"/>, <see cref="ExplanationPlan.Windows"/> &gt; 0) is explained
    /// window by window for one target, its progress counting all windows' steps (<see cref="Explanation.Windows"/>).
    /// </remarks>
    public async Task<Explanation> ExplainAsync(ExplanationPlan plan, IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckOwner(plan.Model);
        using var activity = EngineTelemetry.StartExplain(Name, 1);
        if (plan.Windowed is { } windowed)
        {
            return await new WindowedExplanation(this, _integratedGradients, plan, windowed).RunAsync(progress, cancellationToken).ConfigureAwait(false);
        }

        var stopwatch = Stopwatch.StartNew();
        var integrationProgress = progress is null ? null
            : new SynchronousProgress<IgProgress>(p => progress.Report(ExplanationResults.Progress(plan, p, stopwatch.Elapsed)));
        var results = await _integratedGradients.AttributeAsync([plan.Input], plan.Settings, integrationProgress, cancellationToken).ConfigureAwait(false);
        var faithfulness = plan.Request.Faithfulness
            ? await FaithfulnessAsync(plan, results[0].TokenAttributions, results[0].Target, cancellationToken).ConfigureAwait(false) : null;
        return ExplanationResults.Build(plan, results[0], stopwatch.Elapsed) with { Faithfulness = faithfulness };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _predictBatcher.Dispose();
            _runtime.Dispose();
        }
    }

    private void CheckOwner(ExplainerModel owner)
    {
        if (!ReferenceEquals(owner, this))
        {
            throw new ArgumentException($"The plan was made by model '{owner.Name}', not '{Name}'.", "plan");
        }
    }
}
