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
    /// <summary>Where descriptor sets appear to come from (the generator only looks at the extension).</summary>
    public const string SetPath = "/obj/test" + ValidationGenerator.DescriptorSetExtension;

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

    /// <summary>The descriptor set of the real contract (protos/bertig/v1/explainer.proto).</summary>
    public static InMemoryAdditionalText RealContractSet(string setPath = "/obj/bertig" + ValidationGenerator.DescriptorSetExtension)
        => new(setPath, Convert.ToBase64String(Protoc.RealContract()));

    /// <summary>A descriptor-set additional file for the given .proto files (paths relative to the proto root).</summary>
    public static InMemoryAdditionalText DescriptorSet(params (string Path, string Text)[] protos)
        => DescriptorSet(SetPath, protos);

    public static InMemoryAdditionalText DescriptorSet(string setPath, params (string Path, string Text)[] protos)
        => new(setPath, Convert.ToBase64String(Protoc.DescriptorSet(includeImports: true, protos)));

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

    /// <summary>Runs the generator over one descriptor set of the given .proto files and returns the run result.</summary>
    public static GeneratorDriverRunResult Run(params (string Path, string Text)[] protos)
        => Run(CreateCompilation(), protos);

    public static GeneratorDriverRunResult Run(Compilation compilation, params (string Path, string Text)[] protos)
        => CreateDriver(DescriptorSet(protos)).RunGenerators(compilation).GetRunResult();

    /// <summary>The generated source whose hint name ends with <paramref name="hintSuffix"/>.</summary>
    public static string Source(this GeneratorDriverRunResult result, string hintSuffix)
        => result.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(hintSuffix, StringComparison.Ordinal)).SourceText.ToString();
}
