using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BertIgGrpc.Contracts.Generator.Tests;

public sealed class GeneratorIncrementalTests
{
    private static readonly string[] AllSteps =
    [
        TrackingNames.DescriptorSetFiles,
        TrackingNames.DescriptorSets,
        TrackingNames.AllDescriptorSets,
        TrackingNames.ValidationModel,
        TrackingNames.Diagnostics,
        TrackingNames.MessageSpecs,
    ];

    private const string OrderPath = "sample/v1/order.proto";
    private static readonly InMemoryAdditionalText Explainer = GeneratorHarness.RealContractSet();
    private static readonly InMemoryAdditionalText Order = GeneratorHarness.DescriptorSet("/obj/order" + ValidationGenerator.DescriptorSetExtension, (OrderPath, SampleProtos.OrderProto));
    private static readonly InMemoryAdditionalText Notes = new("/docs/notes.txt", "first draft");

    [Fact]
    public void CSharpEdit_AllStepsCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.CreateCompilation("namespace App; public class A { }");
        var driver = GeneratorHarness.CreateDriver(Explainer, Order, Notes).RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace App; public class B { }", GeneratorHarness.ParseOptions));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void OtherAdditionalFileEdit_AllStepsCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(Explainer, Order, Notes).RunGenerators(compilation);

        driver = driver.ReplaceAdditionalText(Notes, new InMemoryAdditionalText(Notes.Path, "second draft"));
        var result = driver.RunGenerators(compilation).GetRunResult().Results.Single();

        AssertAllCachedOrUnchanged(result);

        // ExplainRequest, ExplainUnaryRequest, PredictRequest, Order and Order.Item are still generated (from the cache).
        Assert.Equal(5, result.GeneratedSources.Length);
    }

    [Fact]
    public void ProtoCommentEdit_ModelUnchangedAndSourcesNotRegenerated()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(Explainer, Order).RunGenerators(compilation);

        // Moves every source span in the set, so its syntax model changes; the emit model has no spans and stays equal.
        driver = driver.ReplaceAdditionalText(Order, GeneratorHarness.DescriptorSet(Order.Path, (OrderPath, "// a comment\n" + SampleProtos.OrderProto)));
        var result = driver.RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(result, TrackingNames.DescriptorSets));
        Assert.All(Reasons(result, TrackingNames.ValidationModel), r => Assert.Equal(IncrementalStepRunReason.Unchanged, r));
        Assert.All(Reasons(result, TrackingNames.MessageSpecs), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
    }

    [Fact]
    public void ProtoRuleEdit_OnlyThatMessageModified()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(Explainer, Order).RunGenerators(compilation);

        var changed = SampleProtos.OrderProto.Replace("map.max_pairs = 3", "map.max_pairs = 5", StringComparison.Ordinal);
        driver = driver.ReplaceAdditionalText(Order, GeneratorHarness.DescriptorSet(Order.Path, (OrderPath, changed)));
        var result = driver.RunGenerators(compilation).GetRunResult().Results.Single();

        var specs = result.TrackedSteps[TrackingNames.MessageSpecs].SelectMany(s => s.Outputs).ToList();
        var modified = specs.Where(o => o.Reason == IncrementalStepRunReason.Modified).Select(o => ((Model.MessageSpec)o.Value).ClassName).ToList();
        Assert.Equal(["Order"], modified);
        Assert.Equal(5, specs.Count); // ExplainRequest, ExplainUnaryRequest, PredictRequest, Order, Order.Item
        Assert.Contains("public const int TagsMaxItems = 5;", result.GeneratedSources.Single(s => s.HintName == "Sample.V1.Order.Validation.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step)
        => result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result)
    {
        foreach (var step in AllSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            foreach (var reason in Reasons(result, step))
            {
                Assert.True(
                    reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"step {step} reported {reason}");
            }
        }
    }
}
