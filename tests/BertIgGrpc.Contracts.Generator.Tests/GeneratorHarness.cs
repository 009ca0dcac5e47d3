using System.Collections.Immutable;
using BertIgGrpc.Contracts.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>An additional file held in memory, as the IDE or MSBuild would hand it to the generator.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Runs <see cref="ValidationGenerator"/> in memory.</summary>
internal static class GeneratorHarness
{
    public const string RulesProtoPath = "/protos/bertig/v1/rules.proto";

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        // Everything the test process runs on (BCL, Google.Protobuf, BertIgGrpc.Contracts) is available to the compilation.
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var paths = trusted
            .Append(typeof(IValidatableMessage).Assembly.Location)
            .Append(typeof(Google.Protobuf.ByteString).Assembly.Location)
            .Distinct(StringComparer.Ordinal);
        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    public static string RealRulesProto => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protos", "bertig", "v1", "rules.proto"));

    public static string RealExplainerProto => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protos", "bertig", "v1", "explainer.proto"));

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation CreateCompilation(params string[] sources) => CSharpCompilation.Create(
        "GeneratorTestAssembly",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(params AdditionalText[] additionalTexts) => CSharpGeneratorDriver.Create(
        [new ValidationGenerator().AsSourceGenerator()],
        additionalTexts,
        ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator over the given .proto texts (rules.proto is added) and returns the run result.</summary>
    public static GeneratorDriverRunResult Run(params (string Path, string Text)[] protos)
        => Run(CreateCompilation(), protos);

    public static GeneratorDriverRunResult Run(Compilation compilation, params (string Path, string Text)[] protos)
    {
        var texts = protos.Select(p => (AdditionalText)new InMemoryAdditionalText(p.Path, p.Text))
            .Prepend(new InMemoryAdditionalText(RulesProtoPath, RealRulesProto))
            .ToArray();
        return CreateDriver(texts).RunGenerators(compilation).GetRunResult();
    }

    /// <summary>The generated source whose hint name ends with <paramref name="hintSuffix"/>.</summary>
    public static string Source(this GeneratorDriverRunResult result, string hintSuffix)
        => result.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(hintSuffix, StringComparison.Ordinal)).SourceText.ToString();
}
