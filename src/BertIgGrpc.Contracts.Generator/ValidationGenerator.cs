using Microsoft.CodeAnalysis;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>Placeholder until the generator lands: emits nothing.</summary>
[Generator]
public sealed class ValidationGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
