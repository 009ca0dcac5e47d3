using System.Reflection;
using BertIgGrpc.Engine.Autodiff.Rules;

namespace BertIgGrpc.Engine.Autodiff;

/// <summary>
/// What the gradient builder knows: the rules the files in <c>Autodiff/Rules</c> declare with
/// <see cref="GradientRuleAttribute"/>, collected here once, and, declared here, the ops whose outputs carry no
/// gradient and the ONNX Runtime fused ops that are refused with advice.
/// </summary>
internal static class GradientRegistry
{
    /// <summary>Ops whose outputs have zero or no gradient (shapes, comparisons, rounding, constants).</summary>
    private static readonly HashSet<string> NoGradient = new(StringComparer.Ordinal)
    {
        "Shape", "Size", "Constant", "ConstantOfShape", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual",
        "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "ArgMax", "ArgMin", "NonZero", "Floor", "Ceil", "Round", "Sign",
        "Range", "OneHot",
    };

    // After NoGradient: static fields are initialised in order, and Collect reads it.
    private static readonly Dictionary<string, Action<GradientContext>> Rules = Collect();

    /// <summary>Gets the rule for an op, or null.</summary>
    public static Action<GradientContext>? Find(string opType) => Rules.GetValueOrDefault(opType);

    /// <summary>Whether the op's outputs carry no gradient.</summary>
    public static bool HasNoGradient(string opType) => NoGradient.Contains(opType);

    /// <summary>The ops with a gradient rule.</summary>
    public static IReadOnlyCollection<string> SupportedOps => Rules.Keys;

    /// <summary>The ops declared to carry no gradient.</summary>
    public static IReadOnlyCollection<string> NoGradientOps => NoGradient;

    /// <summary>Whether the node belongs to ONNX Runtime's fused contrib ops (com.microsoft).</summary>
    public static bool IsContribOp(string domain) => domain is "com.microsoft" or "com.microsoft.nchwc" or "com.ms.internal.nhwc";

    /// <summary>Every <see cref="GradientRuleAttribute"/> method of the classes in the rules namespace, by op.</summary>
    /// <exception cref="InvalidOperationException">An op is declared twice, or both with a rule and with no gradient.</exception>
    internal static Dictionary<string, Action<GradientContext>> Collect()
    {
        var rulesNamespace = typeof(ElementwiseRules).Namespace;
        var rules = new Dictionary<string, Action<GradientContext>>(StringComparer.Ordinal);
        var declaredBy = new Dictionary<string, string>(StringComparer.Ordinal);
        var methods = typeof(GradientRegistry).Assembly.GetTypes()
            .Where(t => t.Namespace == rulesNamespace)
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        foreach (var method in methods)
        {
            if (method.GetCustomAttribute<GradientRuleAttribute>() is not { } attribute) continue;
            var name = $"{method.DeclaringType!.Name}.{method.Name}";
            // Throws when the signature is not void(GradientContext): a wrong rule fails at the first use of the registry.
            var rule = method.CreateDelegate<Action<GradientContext>>();
            foreach (var op in attribute.Ops)
            {
                if (!declaredBy.TryAdd(op, name))
                {
                    throw new InvalidOperationException($"Op {op} has two gradient rules: {declaredBy[op]} and {name}.");
                }

                rules[op] = rule;
            }
        }

        if (rules.Keys.FirstOrDefault(NoGradient.Contains) is { } both)
        {
            throw new InvalidOperationException($"Op {both} has a gradient rule ({declaredBy[both]}) and is declared to carry no gradient.");
        }

        return rules;
    }
}
