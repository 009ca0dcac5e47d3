using System.Reflection;
using BertIgGrpc.Engine.Autodiff;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>
/// Every op with a gradient rule has a numeric gradient check: adding a rule without one fails here, naming the op.
/// </summary>
public class GradientCoverageTests
{
    [Fact]
    public void EverySupportedOp_HasAGradientCheck()
    {
        var missing = MissingChecks(GradientRegistry.SupportedOps);

        Assert.True(missing.Count == 0,
            $"Ops with a gradient rule but no gradient check: {string.Join(", ", missing)}. " +
            "Add a test marked [ChecksGradientOf(\"<op>\")] to GradientRuleTests.");
    }

    [Fact]
    public void OpWithoutACheck_IsReportedMissing()
        => Assert.Equal(["NotARealOp"], MissingChecks([.. GradientRegistry.SupportedOps, "NotARealOp"]));

    [Fact]
    public void EveryGradientCheck_IsATest_AndNamesOnlySupportedOps()
    {
        var checks = Checks().ToList();

        Assert.NotEmpty(checks);
        Assert.All(checks, c =>
        {
            Assert.True(c.Method.GetCustomAttributes<FactAttribute>().Any(), $"{c.Method.Name} is marked [ChecksGradientOf] but is not a test.");
            Assert.All(c.Ops, op => Assert.Contains(op, GradientRegistry.SupportedOps));
        });
    }

    [Fact]
    public void Registry_CollectsEachRulesFilesDeclarations()
    {
        // One op from each rules file, and ops that share one rule.
        Assert.Superset(new HashSet<string> { "Add", "Softmax", "MatMul", "Gather", "Dropout", "Flatten" }, GradientRegistry.SupportedOps.ToHashSet());
        Assert.Same(GradientRegistry.Find("Identity"), GradientRegistry.Find("Dropout"));
        Assert.Same(GradientRegistry.Find("Reshape"), GradientRegistry.Find("Unsqueeze"));
        Assert.Null(GradientRegistry.Find("Cos"));
        Assert.Empty(GradientRegistry.SupportedOps.Intersect(GradientRegistry.NoGradientOps));
        Assert.True(GradientRegistry.HasNoGradient("Shape"));
    }

    private static List<string> MissingChecks(IEnumerable<string> supported)
    {
        var checkedOps = Checks().SelectMany(c => c.Ops).ToHashSet(StringComparer.Ordinal);
        return [.. supported.Where(op => !checkedOps.Contains(op)).Order(StringComparer.Ordinal)];
    }

    private static IEnumerable<(MethodInfo Method, IReadOnlyList<string> Ops)> Checks()
        => typeof(GradientCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<ChecksGradientOfAttribute>()))
            .Where(c => c.Attribute is not null)
            .Select(c => (c.Method, c.Attribute!.Ops));
}
