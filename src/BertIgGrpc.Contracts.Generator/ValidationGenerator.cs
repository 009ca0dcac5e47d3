using System;
using BertIgGrpc.Contracts.Generator.Descriptors;
using BertIgGrpc.Contracts.Generator.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>
/// Turns the <c>(buf.validate.field)</c> rules of protobuf descriptor sets (base64 <c>*.protoset.b64</c> additional
/// files, written by protoc in the build) into <c>Validate()</c> methods and limit constants on the protoc-generated
/// message classes.
/// </summary>
/// <remarks>
/// Pipeline: each descriptor set is decoded on its own (<see cref="TrackingNames.DescriptorSets"/>), all files are
/// bound together because field types may live in other files (<see cref="TrackingNames.ValidationModel"/>), then
/// diagnostics and one source per message flow to separate outputs. Every model is equatable, so an edit that does
/// not change a descriptor set leaves all steps cached.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class ValidationGenerator : IIncrementalGenerator
{
    /// <summary>The extension of the additional files the generator reads.</summary>
    public const string DescriptorSetExtension = ".protoset.b64";

    /// <summary>The MSBuild property (made compiler-visible) that descriptor names are relative to, for diagnostic places.</summary>
    public const string ProtoRootProperty = "build_property.BertIgProtoRoot";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(DescriptorSetExtension, StringComparison.OrdinalIgnoreCase))
            .WithTrackingName(TrackingNames.DescriptorSetFiles);

        var protoRoot = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue(ProtoRootProperty, out var root) ? root : string.Empty);

        var sets = files
            .Combine(protoRoot)
            .Select(static (pair, ct) => SyntaxBuilder.Read(pair.Left.Path, pair.Left.GetText(ct)?.ToString() ?? string.Empty, pair.Right, ct))
            .WithTrackingName(TrackingNames.DescriptorSets);

        var model = sets
            .Collect()
            .WithTrackingName(TrackingNames.AllDescriptorSets)
            .Select(static (all, ct) => ValidationModelBuilder.Build(all, ct))
            .WithTrackingName(TrackingNames.ValidationModel);

        var diagnostics = model
            .Select(static (m, _) => m.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        var messages = model
            .SelectMany(static (m, _) => m.Messages)
            .WithTrackingName(TrackingNames.MessageSpecs);

        context.RegisterSourceOutput(diagnostics, static (spc, items) =>
        {
            foreach (var item in items)
            {
                spc.ReportDiagnostic(item.ToDiagnostic());
            }
        });

        context.RegisterSourceOutput(messages, static (spc, spec) =>
            spc.AddSource(spec.HintName, SourceText.From(ValidationEmitter.Emit(spec), System.Text.Encoding.UTF8)));
    }
}

/// <summary>Names of the tracked pipeline steps, for tests that assert incremental caching.</summary>
public static class TrackingNames
{
    /// <summary>The descriptor-set additional files.</summary>
    public const string DescriptorSetFiles = nameof(DescriptorSetFiles);

    /// <summary>One syntax model per descriptor set.</summary>
    public const string DescriptorSets = nameof(DescriptorSets);

    /// <summary>All descriptor sets together.</summary>
    public const string AllDescriptorSets = nameof(AllDescriptorSets);

    /// <summary>The bound model of all messages with rules and the diagnostics.</summary>
    public const string ValidationModel = nameof(ValidationModel);

    /// <summary>The diagnostics, apart from source output.</summary>
    public const string Diagnostics = nameof(Diagnostics);

    /// <summary>One emit model per message with rules.</summary>
    public const string MessageSpecs = nameof(MessageSpecs);
}
