using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using BertIgGrpc.Contracts.Generator.Model;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>
/// Binds the files of all descriptor sets into the emit model: resolves field types across files, binds every
/// field's rules (<see cref="RuleBinder"/>) and maps names to protoc's C# names.
/// </summary>
internal static class ValidationModelBuilder
{
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
    public static ValidationModel Build(ImmutableArray<DescriptorSetSyntax> sets, CancellationToken cancellationToken)
    {
        // A file may come in several sets (imports); the first copy by path is used.
        var ordered = sets.SelectMany(s => s.Files)
            .GroupBy(f => f.Path, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var diagnostics = sets.SelectMany(s => s.Diagnostics).ToList();
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

        var ruleSet = new RuleBinder(field, fieldFullName, kind, presence, diagnostics).Bind(rules);
        if (ruleSet is null)
        {
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
