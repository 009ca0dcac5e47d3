using System;
using System.Collections.Generic;
using System.Linq;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>What a supported rule does, whatever buf.validate path it is written under.</summary>
internal enum RuleId
{
    Required,
    Ignore,
    MinLen,
    MaxLen,
    MaxBytes,
    Pattern,
    Gte,
    Lte,
    Gt,
    Lt,
    DefinedOnly,
    MinItems,
    MaxItems,
}

/// <summary>A supported rule: its buf.validate path below FieldRules, what it does and the type group it belongs to.</summary>
/// <param name="Key">The dotted path, e.g. <c>string.max_len</c>.</param>
/// <param name="Id">What it does.</param>
/// <param name="Group">The FieldRules member it lives in (<c>string</c>, <c>int32</c>, <c>repeated</c>, ...), empty for field-level rules.</param>
/// <param name="ConstantName">The name used for its limit constant and in messages (<c>max_len</c>, <c>max_bytes</c>, <c>gte</c>, ...).</param>
internal sealed record RuleDef(string Key, RuleId Id, string Group, string ConstantName);

/// <summary>
/// The one table of buf.validate rules this generator implements. Every other rule (CEL expressions, <c>in</c>,
/// <c>email</c>, map key rules, ...) is reported as BIG002 instead of being ignored.
/// </summary>
internal static class RuleTable
{
    /// <summary>The prefix of rules that apply to each item of a repeated field.</summary>
    public const string ItemsPrefix = "repeated.items.";

    private static readonly string[] NumericGroups =
    {
        "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "float", "double",
    };

    private static readonly Dictionary<string, RuleDef> ByKey = Build().ToDictionary(d => d.Key, StringComparer.Ordinal);

    /// <summary>The supported rule paths, for diagnostics.</summary>
    public static readonly string Supported = "required, ignore, string.{min_len, max_len, max_bytes, pattern}, bytes.max_len, "
        + "<number>.{gte, lte, gt, lt}, enum.defined_only, repeated.{min_items, max_items, items}, map.{min_pairs, max_pairs}";

    public static bool TryGet(string key, out RuleDef rule) => ByKey.TryGetValue(key, out rule!);

    /// <summary>The numeric groups, named as the proto scalar types they check.</summary>
    public static bool IsNumericGroup(string group) => Array.IndexOf(NumericGroups, group) >= 0;

    private static IEnumerable<RuleDef> Build()
    {
        yield return new("required", RuleId.Required, string.Empty, "required");
        yield return new("ignore", RuleId.Ignore, string.Empty, "ignore");
        yield return new("string.min_len", RuleId.MinLen, "string", "min_len");
        yield return new("string.max_len", RuleId.MaxLen, "string", "max_len");
        yield return new("string.max_bytes", RuleId.MaxBytes, "string", "max_bytes");
        yield return new("string.pattern", RuleId.Pattern, "string", "pattern");
        yield return new("bytes.max_len", RuleId.MaxBytes, "bytes", "max_bytes");
        yield return new("enum.defined_only", RuleId.DefinedOnly, "enum", "defined_only");
        yield return new("repeated.min_items", RuleId.MinItems, "repeated", "min_items");
        yield return new("repeated.max_items", RuleId.MaxItems, "repeated", "max_items");
        yield return new("map.min_pairs", RuleId.MinItems, "map", "min_items");
        yield return new("map.max_pairs", RuleId.MaxItems, "map", "max_items");
        foreach (var group in NumericGroups)
        {
            yield return new(group + ".gte", RuleId.Gte, group, "gte");
            yield return new(group + ".lte", RuleId.Lte, group, "lte");
            yield return new(group + ".gt", RuleId.Gt, group, "gt");
            yield return new(group + ".lt", RuleId.Lt, group, "lt");
        }
    }
}
