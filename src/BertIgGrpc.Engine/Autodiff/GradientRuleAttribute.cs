namespace BertIgGrpc.Engine.Autodiff;

/// <summary>
/// Declares a static method <c>void Rule(GradientContext c)</c> of a class in <c>Autodiff/Rules</c> as the gradient
/// rule of the named ONNX ops (default domain). <see cref="GradientRegistry"/> collects every such method, so a new
/// rule is one method in one rules file; its gradient check goes in the engine tests, named by op.
/// </summary>
/// <param name="ops">The op types the method differentiates.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
internal sealed class GradientRuleAttribute(params string[] ops) : Attribute
{
    /// <summary>Gets the op types the method differentiates.</summary>
    public IReadOnlyList<string> Ops { get; } = ops;
}
