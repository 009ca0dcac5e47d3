namespace BertIgGrpc.Engine.Models;

/// <summary>The loaded models. Load once at start-up with <see cref="LoadAsync"/>; lookups are thread-safe afterwards.</summary>
public sealed class ModelRegistry : IDisposable
{
    /// <summary>Gets whether every configured model is loaded.</summary>
    public bool IsReady { get; }

    /// <summary>Gets the loaded models, default first.</summary>
    public IReadOnlyList<ExplainerModel> Models { get; } = [];

    /// <summary>Gets the default model.</summary>
    public ExplainerModel Default => throw new NotImplementedException();

    /// <summary>Loads (and on first start materialises) every configured model. Throws <see cref="ModelLoadException"/> naming the model and the problem.</summary>
    public Task LoadAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Returns the model with that name (empty or null: the default). Throws <see cref="ModelNotFoundException"/>.</summary>
    public ExplainerModel Get(string? name) => throw new NotImplementedException();

    /// <inheritdoc />
    public void Dispose() => throw new NotImplementedException();
}
