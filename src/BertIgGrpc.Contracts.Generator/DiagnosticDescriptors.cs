using System;
using Microsoft.CodeAnalysis;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>The diagnostics this generator reports about buf.validate rules in the descriptor sets it reads.</summary>
public static class DiagnosticDescriptors
{
    private const string Category = "BertIgGrpc.Validation";

    /// <summary>BIG001: a descriptor set that cannot be read, or that lacks buf/validate/validate.proto.</summary>
    public static readonly DiagnosticDescriptor UnreadableDescriptorSet = new(
        "BIG001",
        "Descriptor set cannot be read",
        "Cannot read the descriptor set for '{0}': {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator reads base64 FileDescriptorSets written by protoc with --include_imports (see BertIgGrpc.Contracts.csproj).");

    /// <summary>BIG002: a buf.validate rule this generator does not implement (CEL, in, email, ...).</summary>
    public static readonly DiagnosticDescriptor UnsupportedRule = new(
        "BIG002",
        "Unsupported validation rule",
        "Rule '{0}' on '{1}' is not implemented by the Validate() generator; supported: {2}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Every rule in the contract must be checked by the generated Validate(); a rule it cannot check fails the build instead of being ignored.");

    /// <summary>BIG003: a rule value the generator cannot use.</summary>
    public static readonly DiagnosticDescriptor InvalidRuleValue = new(
        "BIG003",
        "Rule value not usable",
        "Rule '{0}' on field '{1}' expects {2} but got '{3}'",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Lengths and counts must fit a uint32, bounds must be finite, patterns must compile.");

    /// <summary>BIG004: a rule that does not fit the field's type or label.</summary>
    public static readonly DiagnosticDescriptor RuleNotApplicable = new(
        "BIG004",
        "Rule not applicable to field",
        "Rule '{0}' does not apply to field '{1}' of type {2}: {3}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Type rules must match the field's type (string rules on strings, int32 rules on int32, ...); item rules go under repeated.items.");

    /// <summary>BIG005: a lower limit above the upper limit.</summary>
    public static readonly DiagnosticDescriptor EmptyRange = new(
        "BIG005",
        "Minimum greater than maximum",
        "Rules on field '{0}' admit no value or form an exclusive range, which is not implemented: {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A lower limit (min_len, min_items, gte, gt) must not exceed the matching upper limit.");

    /// <summary>BIG008: a field with rules whose message or enum type is in none of the descriptor sets.</summary>
    public static readonly DiagnosticDescriptor UnresolvedType = new(
        "BIG008",
        "Field type not found",
        "Type '{0}' of field '{1}' is in no descriptor set; its rules are not checked",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Write the descriptor set with --include_imports so that every type is in it.");

    internal static DiagnosticDescriptor ById(string id) => id switch
    {
        "BIG001" => UnreadableDescriptorSet,
        "BIG002" => UnsupportedRule,
        "BIG003" => InvalidRuleValue,
        "BIG004" => RuleNotApplicable,
        "BIG005" => EmptyRange,
        "BIG008" => UnresolvedType,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };
}
