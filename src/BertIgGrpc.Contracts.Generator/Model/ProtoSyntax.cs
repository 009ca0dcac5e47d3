namespace BertIgGrpc.Contracts.Generator.Model;

// The syntax model: what one file of a descriptor set declares, before names are resolved across files.
// Every record has value equality so an unchanged file yields an equal model and the later steps stay cached.

/// <summary>What one descriptor-set additional file holds: its files, or the reason it could not be read.</summary>
internal sealed record DescriptorSetSyntax(EquatableArray<ProtoFileSyntax> Files, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>One file of a descriptor set.</summary>
/// <param name="Path">The file's path for diagnostics (the descriptor name, under the proto root when it is known).</param>
/// <param name="Package">The proto package, empty when none is declared.</param>
/// <param name="CSharpNamespace">The <c>option csharp_namespace</c> value, or null when absent.</param>
/// <param name="Messages">Top-level messages (nested ones hang below them).</param>
/// <param name="Enums">Top-level enums.</param>
/// <param name="Diagnostics">Problems found while decoding (e.g. unsupported message or oneof rules).</param>
internal sealed record ProtoFileSyntax(
    string Path,
    string Package,
    string? CSharpNamespace,
    EquatableArray<MessageSyntax> Messages,
    EquatableArray<EnumSyntax> Enums,
    EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>A message declaration.</summary>
internal sealed record MessageSyntax(
    string Name,
    EquatableArray<FieldSyntax> Fields,
    EquatableArray<string> Oneofs,
    EquatableArray<MessageSyntax> NestedMessages,
    EquatableArray<EnumSyntax> NestedEnums);

/// <summary>The label written before a field's type.</summary>
internal enum FieldLabel
{
    None,
    Optional,
    Repeated,
    Required,
}

/// <summary>A field (plain, in a oneof, or a map).</summary>
/// <param name="Name">The proto field name (snake_case).</param>
/// <param name="TypeName">A scalar keyword (<c>int32</c>, <c>string</c>) or the absolute message/enum name (<c>.pkg.Msg</c>).</param>
/// <param name="TypeDisplay">The label and type as written, for messages (e.g. <c>repeated string</c>, <c>map&lt;string, int32&gt;</c>).</param>
/// <param name="Label">The label; <see cref="FieldLabel.Optional"/> only where the field has explicit presence.</param>
/// <param name="IsMap">True for <c>map&lt;K, V&gt;</c> fields.</param>
/// <param name="OneofName">The containing (real, not synthetic) oneof, or null.</param>
/// <param name="Rules">The <c>(buf.validate.field)</c> option, or null when the field has none.</param>
/// <param name="Location">The field declaration's place.</param>
internal sealed record FieldSyntax(
    string Name,
    string TypeName,
    string TypeDisplay,
    FieldLabel Label,
    bool IsMap,
    string? OneofName,
    RulesSyntax? Rules,
    LocationInfo Location);

/// <summary>A decoded <c>buf.validate.FieldRules</c> option, flattened to dotted rule paths.</summary>
/// <param name="Entries">The set rules in wire order, e.g. <c>string.max_len</c>, <c>repeated.items.string.pattern</c>.</param>
/// <param name="Location">The field's place.</param>
internal sealed record RulesSyntax(EquatableArray<RuleEntrySyntax> Entries, LocationInfo Location);

/// <summary>One set rule: its dotted path below FieldRules and its value.</summary>
internal sealed record RuleEntrySyntax(string Key, RuleValueSyntax Value);

/// <summary>The kind of a decoded rule value.</summary>
internal enum RuleValueKind
{
    Bool,
    Integer,
    Double,
    String,
    Bytes,
    Enum,

    /// <summary>A message the decoder does not descend into (e.g. a CEL <c>Rule</c>).</summary>
    Message,

    /// <summary>A packed list (e.g. <c>in</c>, <c>not_in</c>).</summary>
    List,

    /// <summary>A field number that FieldRules does not declare (an extension: predefined rules).</summary>
    Unknown,
}

/// <summary>A decoded value: its kind and invariant text (decimal, round-trip double, enum value name, raw string).</summary>
internal sealed record RuleValueSyntax(RuleValueKind Kind, string Text);

/// <summary>An enum declaration with its values in source order.</summary>
internal sealed record EnumSyntax(string Name, EquatableArray<EnumValueSyntax> Values);

/// <summary>One enum value.</summary>
internal sealed record EnumValueSyntax(string Name, int Number);
