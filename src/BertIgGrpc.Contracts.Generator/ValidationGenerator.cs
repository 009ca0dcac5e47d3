using System;
using BertIgGrpc.Contracts.Generator.Emit;
using BertIgGrpc.Contracts.Generator.Model;
using BertIgGrpc.Contracts.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>
/// Turns the <c>(bertig.v1.rules)</c> field options of the .proto files given as AdditionalFiles into
/// <c>Validate()</c> methods and limit constants on the protoc-generated message classes.
/// </summary>
/// <remarks>
/// Pipeline: each .proto file is parsed on its own (<see cref="TrackingNames.ParsedProtoFiles"/>), all files
/// are bound together because field types may live in other files (<see cref="TrackingNames.ValidationModel"/>),
/// then diagnostics and one source per message flow to separate outputs. Every model is equatable, so an edit
/// that does not touch a .proto file leaves all steps cached.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class ValidationGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var protoFiles = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".proto", StringComparison.OrdinalIgnoreCase))
            .WithTrackingName(TrackingNames.ProtoFiles);

        var parsed = protoFiles
            .Select(static (text, ct) => ProtoParser.Parse(text.Path, text.GetText(ct) ?? SourceText.From(string.Empty), ct))
            .WithTrackingName(TrackingNames.ParsedProtoFiles);

        var model = parsed
            .Collect()
            .WithTrackingName(TrackingNames.AllProtoFiles)
            .Select(static (files, ct) => ValidationModelBuilder.Build(files, ct))
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
    /// <summary>The .proto additional files.</summary>
    public const string ProtoFiles = nameof(ProtoFiles);

    /// <summary>One syntax model per .proto file.</summary>
    public const string ParsedProtoFiles = nameof(ParsedProtoFiles);

    /// <summary>All syntax models together.</summary>
    public const string AllProtoFiles = nameof(AllProtoFiles);

    /// <summary>The bound model of all messages with rules and the diagnostics.</summary>
    public const string ValidationModel = nameof(ValidationModel);

    /// <summary>The diagnostics, apart from source output.</summary>
    public const string Diagnostics = nameof(Diagnostics);

    /// <summary>One emit model per message with rules.</summary>
    public const string MessageSpecs = nameof(MessageSpecs);
}
