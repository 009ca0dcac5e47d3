namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>
/// Names the ops whose gradient rules a test checks numerically against the emitted gradient graph.
/// <see cref="GradientCoverageTests"/> requires one for every op in <c>GradientRegistry.SupportedOps</c>.
/// </summary>
/// <param name="ops">The op types the test's graphs differentiate.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class ChecksGradientOfAttribute(params string[] ops) : Attribute
{
    /// <summary>Gets the op types the test checks.</summary>
    public IReadOnlyList<string> Ops { get; } = ops;
}
