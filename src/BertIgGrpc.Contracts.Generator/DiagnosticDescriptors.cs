using System;
using Microsoft.CodeAnalysis;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>The diagnostics this generator reports about (bertig.v1.rules) options in .proto files.</summary>
public static class DiagnosticDescriptors
{
    private const string Category = "BertIgGrpc.Validation";

    /// <summary>BIG001: the option's text-format literal could not be parsed.</summary>
    public static readonly DiagnosticDescriptor UnparsableRules = new(
        "BIG001",
        "Unparsable rules option",
        "The (bertig.v1.rules) option on field '{0}' cannot be parsed: {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The option value must be a text-format message literal such as { max_len: 128, required: true }.");

    /// <summary>BIG002: a key that FieldRules does not define.</summary>
    public static readonly DiagnosticDescriptor UnknownRule = new(
        "BIG002",
        "Unknown rule",
        "Unknown rule '{0}' on field '{1}'; known rules are {2}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Only the members of bertig.v1.FieldRules may appear in the option literal.");

    /// <summary>BIG003: a rule value of the wrong type (or out of range for its type).</summary>
    public static readonly DiagnosticDescriptor InvalidRuleValue = new(
        "BIG003",
        "Rule value has the wrong type",
        "Rule '{0}' on field '{1}' expects {2} but got '{3}'",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Boolean rules take true or false, length and item rules take non-negative integers, bounds take finite numbers.");

    /// <summary>BIG004: a rule that does not fit the field's type or label.</summary>
    public static readonly DiagnosticDescriptor RuleNotApplicable = new(
        "BIG004",
        "Rule not applicable to field",
        "Rule '{0}' does not apply to field '{1}' of type {2}: {3}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Each rule applies to certain field types only, e.g. max_len to strings and min_items to repeated fields.");

    /// <summary>BIG005: a lower limit above the upper limit.</summary>
    public static readonly DiagnosticDescriptor EmptyRange = new(
        "BIG005",
        "Minimum greater than maximum",
        "Rules on field '{0}' admit no value: {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A lower limit (min_len, min_items, gte, gt) must not exceed the matching upper limit.");

    /// <summary>BIG006: the same rule given twice.</summary>
    public static readonly DiagnosticDescriptor DuplicateRule = new(
        "BIG006",
        "Duplicate rule",
        "Rule '{0}' is given more than once on field '{1}'",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Each rule may appear once per field.");

    /// <summary>BIG007: the .proto file itself could not be parsed.</summary>
    public static readonly DiagnosticDescriptor ProtoSyntaxError = new(
        "BIG007",
        "Proto syntax error",
        "Cannot parse '{0}': {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The validation generator reads .proto files itself; no validation code is generated for a file it cannot parse.");

    /// <summary>BIG008: a field with rules whose message or enum type is not declared in any .proto additional file.</summary>
    public static readonly DiagnosticDescriptor UnresolvedType = new(
        "BIG008",
        "Field type not found",
        "Type '{0}' of field '{1}' is not declared in any .proto additional file; its rules are not checked",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Add the .proto file declaring the type as an AdditionalFiles item.");

    internal static DiagnosticDescriptor ById(string id) => id switch
    {
        "BIG001" => UnparsableRules,
        "BIG002" => UnknownRule,
        "BIG003" => InvalidRuleValue,
        "BIG004" => RuleNotApplicable,
        "BIG005" => EmptyRange,
        "BIG006" => DuplicateRule,
        "BIG007" => ProtoSyntaxError,
        "BIG008" => UnresolvedType,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };
}
