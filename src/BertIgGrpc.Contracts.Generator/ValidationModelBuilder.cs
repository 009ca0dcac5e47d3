using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using BertIgGrpc.Contracts.Generator.Model;
using BertIgGrpc.Contracts.Generator.Parsing;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>
/// Binds the syntax of all .proto files into the emit model: resolves field types across files,
/// checks every rule against its field (reporting BIG002-BIG006, BIG008) and maps names to protoc's C# names.
/// </summary>
internal static class ValidationModelBuilder
{
    /// <summary>The keys of bertig.v1.FieldRules, in declaration order.</summary>
    public static readonly ImmutableArray<string> KnownRules = ImmutableArray.Create(
        "required", "not_blank", "min_len", "max_len", "max_bytes", "gte", "lte", "gt", "lt",
        "min_items", "max_items", "defined_only", "ignore_empty");

    private static readonly Dictionary<string, FieldKind> ScalarKinds = new(StringComparer.Ordinal)
    {
        ["double"] = FieldKind.Double,
        ["float"] = FieldKind.Float,
        ["int32"] = FieldKind.Int32,
        ["sint32"] = FieldKind.Int32,
        ["sfixed32"] = FieldKind.Int32,
        ["int64"] = FieldKind.Int64,
        ["sint64"] = FieldKind.Int64,
        ["sfixed64"] = FieldKind.Int64,
        ["uint32"] = FieldKind.UInt32,
        ["fixed32"] = FieldKind.UInt32,
        ["uint64"] = FieldKind.UInt64,
        ["fixed64"] = FieldKind.UInt64,
        ["bool"] = FieldKind.Bool,
        ["string"] = FieldKind.String,
        ["bytes"] = FieldKind.Bytes,
    };

    /// <summary>Builds the model; all problems become diagnostics, nothing throws for bad input.</summary>
    public static ValidationModel Build(ImmutableArray<ProtoFileSyntax> files, CancellationToken cancellationToken)
    {
        var ordered = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var diagnostics = new List<DiagnosticInfo>();
        var symbols = new Dictionary<string, TypeSymbol>(StringComparer.Ordinal);
        foreach (var file in ordered)
        {
            diagnostics.AddRange(file.Diagnostics);
            var ns = file.CSharpNamespace ?? CSharpNaming.NamespaceFromPackage(file.Package);
            foreach (var message in file.Messages)
            {
                RegisterMessage(symbols, message, file.Package, ns, ImmutableArray<string>.Empty);
            }

            foreach (var e in file.Enums)
            {
                RegisterEnum(symbols, e, file.Package, ns, ImmutableArray<string>.Empty);
            }
        }

        var specs = new List<MessageSpec>();
        foreach (var file in ordered)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ns = file.CSharpNamespace ?? CSharpNaming.NamespaceFromPackage(file.Package);
            foreach (var message in file.Messages)
            {
                BindMessage(symbols, message, file.Package, ns, ImmutableArray<string>.Empty, specs, diagnostics);
            }
        }

        return new ValidationModel(specs.ToEquatableArray(), diagnostics.ToEquatableArray());
    }

    private static string Qualify(string scope, string name) => scope.Length == 0 ? name : scope + "." + name;

    private static string CSharpTypeName(string ns, ImmutableArray<string> classes)
        => "global::" + (ns.Length == 0 ? string.Empty : ns + ".") + string.Join(".Types.", classes);

    private static void RegisterMessage(
        Dictionary<string, TypeSymbol> symbols, MessageSyntax message, string scope, string ns, ImmutableArray<string> outer)
    {
        var fullName = Qualify(scope, message.Name);
        var classes = outer.Add(message.Name);
        if (!symbols.ContainsKey(fullName))
        {
            symbols[fullName] = new TypeSymbol(fullName, CSharpTypeName(ns, classes), null);
        }

        foreach (var nested in message.NestedMessages)
        {
            RegisterMessage(symbols, nested, fullName, ns, classes);
        }

        foreach (var e in message.NestedEnums)
        {
            RegisterEnum(symbols, e, fullName, ns, classes);
        }
    }

    private static void RegisterEnum(
        Dictionary<string, TypeSymbol> symbols, EnumSyntax e, string scope, string ns, ImmutableArray<string> outer)
    {
        var fullName = Qualify(scope, e.Name);
        if (!symbols.ContainsKey(fullName))
        {
            symbols[fullName] = new TypeSymbol(fullName, CSharpTypeName(ns, outer.Add(e.Name)), e);
        }
    }

    /// <summary>Protobuf name lookup: a leading dot is absolute, otherwise search from the innermost scope outwards.</summary>
    private static TypeSymbol? Resolve(Dictionary<string, TypeSymbol> symbols, string typeName, string scope)
    {
        if (typeName.StartsWith(".", StringComparison.Ordinal))
        {
            return symbols.TryGetValue(typeName.Substring(1), out var absolute) ? absolute : null;
        }

        while (true)
        {
            if (symbols.TryGetValue(Qualify(scope, typeName), out var found))
            {
                return found;
            }

            if (scope.Length == 0)
            {
                return null;
            }

            var dot = scope.LastIndexOf('.');
            scope = dot < 0 ? string.Empty : scope.Substring(0, dot);
        }
    }

    private static void BindMessage(
        Dictionary<string, TypeSymbol> symbols,
        MessageSyntax message,
        string scope,
        string ns,
        ImmutableArray<string> outer,
        List<MessageSpec> specs,
        List<DiagnosticInfo> diagnostics)
    {
        var fullName = Qualify(scope, message.Name);
        var fields = new List<FieldSpec>();
        foreach (var field in message.Fields)
        {
            if (field.Rules is not null)
            {
                var spec = BindField(symbols, message, fullName, field, field.Rules, diagnostics);
                if (spec is not null)
                {
                    fields.Add(spec);
                }
            }
        }

        if (fields.Count > 0)
        {
            var memberNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in message.Fields)
            {
                memberNames.Add(CSharpNaming.PropertyName(f.Name, message.Name));
            }

            foreach (var oneof in message.Oneofs)
            {
                memberNames.Add(CSharpNaming.UnderscoresToCamelCase(oneof, capitalizeFirst: true) + "Case");
            }

            var classes = outer.Add(message.Name);
            var hint = (ns.Length == 0 ? string.Empty : ns + ".") + string.Join(".", classes) + ".Validation.g.cs";
            specs.Add(new MessageSpec(
                hint,
                ns,
                outer.ToEquatableArray(),
                message.Name,
                fullName,
                memberNames.Contains("Rules") ? "Rules_" : "Rules",
                fields.ToEquatableArray()));
        }

        foreach (var nested in message.NestedMessages)
        {
            BindMessage(symbols, nested, fullName, ns, outer.Add(message.Name), specs, diagnostics);
        }
    }

    private static FieldSpec? BindField(
        Dictionary<string, TypeSymbol> symbols,
        MessageSyntax message,
        string messageFullName,
        FieldSyntax field,
        RulesSyntax rules,
        List<DiagnosticInfo> diagnostics)
    {
        var fieldFullName = messageFullName + "." + field.Name;
        TypeSymbol? enumOrMessage = null;
        if (!ScalarKinds.TryGetValue(field.TypeName, out var kind))
        {
            enumOrMessage = Resolve(symbols, field.TypeName, messageFullName);
            if (enumOrMessage is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnresolvedType, field.Location, field.TypeName, fieldFullName));
                return null;
            }

            kind = enumOrMessage.Enum is null ? FieldKind.Message : FieldKind.Enum;
        }

        var repeated = field.Label == FieldLabel.Repeated;
        var presence = field.OneofName is not null ? FieldPresence.Oneof
            : field.Label == FieldLabel.Optional && kind != FieldKind.Message ? FieldPresence.Optional
            : FieldPresence.Implicit;

        var ok = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool required = false, notBlank = false, definedOnly = false, ignoreEmpty = false;
        uint? minLen = null, maxLen = null, minItems = null, maxItems = null;
        ulong? maxBytes = null;
        double? gte = null, lte = null, gt = null, lt = null;

        foreach (var entry in rules.Entries)
        {
            var key = entry.Key;
            if (!KnownRules.Contains(key))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnknownRule, entry.KeyLocation, key, fieldFullName, string.Join(", ", KnownRules)));
                ok = false;
                continue;
            }

            if (!seen.Add(key))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateRule, entry.KeyLocation, key, fieldFullName));
                ok = false;
                continue;
            }

            // Check the value's type first: a wrongly typed value is the more basic mistake.
            string? expected = null;
            switch (key)
            {
                case "required":
                case "not_blank":
                case "defined_only":
                case "ignore_empty":
                    if (RuleValues.TryParseBool(entry.Value, out var flag))
                    {
                        switch (key)
                        {
                            case "required": required = flag; break;
                            case "not_blank": notBlank = flag; break;
                            case "defined_only": definedOnly = flag; break;
                            default: ignoreEmpty = flag; break;
                        }
                    }
                    else
                    {
                        expected = "a bool (true or false)";
                    }

                    break;
                case "min_len":
                case "max_len":
                case "min_items":
                case "max_items":
                    if (RuleValues.TryParseUnsigned(entry.Value, uint.MaxValue, out var u32))
                    {
                        var v = (uint)u32;
                        switch (key)
                        {
                            case "min_len": minLen = v; break;
                            case "max_len": maxLen = v; break;
                            case "min_items": minItems = v; break;
                            default: maxItems = v; break;
                        }
                    }
                    else
                    {
                        expected = "a uint32 (a non-negative integer)";
                    }

                    break;
                case "max_bytes":
                    if (RuleValues.TryParseUnsigned(entry.Value, ulong.MaxValue, out var u64))
                    {
                        maxBytes = u64;
                    }
                    else
                    {
                        expected = "a uint64 (a non-negative integer)";
                    }

                    break;
                default:
                    if (RuleValues.TryParseFiniteDouble(entry.Value, out var d))
                    {
                        switch (key)
                        {
                            case "gte": gte = d; break;
                            case "lte": lte = d; break;
                            case "gt": gt = d; break;
                            default: lt = d; break;
                        }
                    }
                    else
                    {
                        expected = "a finite number";
                    }

                    break;
            }

            if (expected is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidRuleValue, entry.Value.Location, key, fieldFullName, expected, entry.Value.Text));
                ok = false;
                continue;
            }

            var reason = NotApplicableReason(key, kind, repeated, field.IsMap, presence);
            if (reason is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.RuleNotApplicable, entry.KeyLocation, key, fieldFullName, field.TypeDisplay, reason));
                ok = false;
            }
        }

        ok &= CheckRange(diagnostics, rules, fieldFullName, "min_len", minLen, "max_len", maxLen);
        ok &= CheckRange(diagnostics, rules, fieldFullName, "min_items", minItems, "max_items", maxItems);
        ok &= CheckBounds(diagnostics, rules, fieldFullName, "gte", gte, inclusiveLower: true, "lte", lte, inclusiveUpper: true);
        ok &= CheckBounds(diagnostics, rules, fieldFullName, "gte", gte, inclusiveLower: true, "lt", lt, inclusiveUpper: false);
        ok &= CheckBounds(diagnostics, rules, fieldFullName, "gt", gt, inclusiveLower: false, "lte", lte, inclusiveUpper: true);
        ok &= CheckBounds(diagnostics, rules, fieldFullName, "gt", gt, inclusiveLower: false, "lt", lt, inclusiveUpper: false);

        var ruleSet = new RuleSet(required, notBlank, minLen, maxLen, maxBytes, gte, lte, gt, lt, minItems, maxItems, definedOnly, ignoreEmpty);
        var hasEffect = required || notBlank || definedOnly || ruleSet.HasNumericBounds
            || minLen.HasValue || maxLen.HasValue || maxBytes.HasValue || minItems.HasValue || maxItems.HasValue;
        if (!ok || !hasEffect)
        {
            // Malformed rules already fail the build; generating half of them would only add noise.
            return null;
        }

        var propertyName = CSharpNaming.PropertyName(field.Name, message.Name);
        string? oneofCaseProperty = null, oneofCaseValue = null;
        if (field.OneofName is not null)
        {
            var oneofPascal = CSharpNaming.UnderscoresToCamelCase(field.OneofName, capitalizeFirst: true);
            oneofCaseProperty = oneofPascal + "Case";
            oneofCaseValue = oneofPascal + "OneofCase." + CSharpNaming.OneofCaseMember(propertyName);
        }

        string? enumTypeName = null, enumDisplay = null;
        var enumMembers = EquatableArray<string>.Empty;
        if (kind == FieldKind.Enum && enumOrMessage?.Enum is { } enumSyntax)
        {
            enumTypeName = enumOrMessage.CSharpName;
            var distinct = new List<EnumValueSyntax>();
            var numbers = new HashSet<int>();
            foreach (var value in enumSyntax.Values)
            {
                // Aliases share a number; one member per number keeps the pattern free of duplicates.
                if (numbers.Add(value.Number))
                {
                    distinct.Add(value);
                }
            }

            enumMembers = distinct.Select(v => enumTypeName + "." + CSharpNaming.EnumValueName(enumSyntax.Name, v.Name)).ToEquatableArray();
            enumDisplay = string.Join(", ", distinct.Select(v => v.Name));
        }

        return new FieldSpec(
            field.Name,
            propertyName,
            kind,
            repeated,
            field.IsMap,
            presence,
            oneofCaseProperty,
            oneofCaseValue,
            enumTypeName,
            enumMembers,
            enumDisplay,
            ruleSet);
    }

    private static bool IsNumeric(FieldKind kind) => kind is FieldKind.Int32 or FieldKind.Int64 or FieldKind.UInt32
        or FieldKind.UInt64 or FieldKind.Float or FieldKind.Double;

    private static string? NotApplicableReason(string key, FieldKind kind, bool repeated, bool isMap, FieldPresence presence)
    {
        if (isMap)
        {
            return key is "min_items" or "max_items" ? null : "map fields take only min_items and max_items";
        }

        return key switch
        {
            "required" when repeated => "use min_items for repeated fields",
            "required" when kind == FieldKind.Bool && presence == FieldPresence.Implicit =>
                "a bool without presence cannot be told unset from false; declare it optional",
            "not_blank" or "min_len" or "max_len" when kind != FieldKind.String => "it applies to string fields",
            "max_bytes" when kind is not (FieldKind.String or FieldKind.Bytes) => "it applies to string and bytes fields",
            "gte" or "lte" or "gt" or "lt" or "ignore_empty" when !IsNumeric(kind) => "it applies to numeric fields",
            "min_items" or "max_items" when !repeated => "it applies to repeated and map fields",
            "defined_only" when kind != FieldKind.Enum => "it applies to enum fields",
            _ => null,
        };
    }

    private static bool CheckRange(
        List<DiagnosticInfo> diagnostics, RulesSyntax rules, string field, string minKey, uint? min, string maxKey, uint? max)
    {
        if (min is { } lo && max is { } hi && lo > hi)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.EmptyRange,
                rules.Location,
                field,
                minKey + " " + lo.ToString(CultureInfo.InvariantCulture) + " is greater than " + maxKey + " " + hi.ToString(CultureInfo.InvariantCulture)));
            return false;
        }

        return true;
    }

    private static bool CheckBounds(
        List<DiagnosticInfo> diagnostics,
        RulesSyntax rules,
        string field,
        string lowerKey,
        double? lower,
        bool inclusiveLower,
        string upperKey,
        double? upper,
        bool inclusiveUpper)
    {
        if (lower is not { } lo || upper is not { } hi)
        {
            return true;
        }

        var empty = inclusiveLower && inclusiveUpper ? lo > hi : lo >= hi;
        if (empty)
        {
            var relation = inclusiveLower && inclusiveUpper ? " is greater than " : " is not less than ";
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.EmptyRange,
                rules.Location,
                field,
                lowerKey + " " + Format(lo) + relation + upperKey + " " + Format(hi)));
        }

        return !empty;
    }

    /// <summary>Shortest round-trip invariant text of a bound, as shown in diagnostics and violation descriptions.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class TypeSymbol
    {
        public TypeSymbol(string fullName, string csharpName, EnumSyntax? enumSyntax)
        {
            FullName = fullName;
            CSharpName = csharpName;
            Enum = enumSyntax;
        }

        public string FullName { get; }

        public string CSharpName { get; }

        public EnumSyntax? Enum { get; }
    }
}
