namespace BertIgGrpc.Contracts.Generator.Model;

// The syntax model: what one .proto file says, before names are resolved across files.
// Every record has value equality so an unchanged file yields an equal model and the later steps stay cached.

/// <summary>One parsed .proto file.</summary>
/// <param name="Path">The additional file's path (used for diagnostics and hint names).</param>
/// <param name="Package">The proto package, empty when none is declared.</param>
/// <param name="CSharpNamespace">The <c>option csharp_namespace</c> value, or null when absent.</param>
/// <param name="Messages">Top-level messages (nested ones hang below them).</param>
/// <param name="Enums">Top-level enums.</param>
/// <param name="Diagnostics">Syntax errors found while parsing.</param>
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
/// <param name="TypeName">The type as written (scalar keyword or a possibly dotted message/enum name); for maps the value type.</param>
/// <param name="TypeDisplay">The label and type as written, for messages (e.g. <c>repeated string</c>, <c>map&lt;string, int32&gt;</c>).</param>
/// <param name="Label">The label.</param>
/// <param name="IsMap">True for <c>map&lt;K, V&gt;</c> fields.</param>
/// <param name="OneofName">The containing oneof, or null.</param>
/// <param name="Rules">The <c>(bertig.v1.rules)</c> option, or null when the field has none.</param>
/// <param name="Location">The field name's place.</param>
internal sealed record FieldSyntax(
    string Name,
    string TypeName,
    string TypeDisplay,
    FieldLabel Label,
    bool IsMap,
    string? OneofName,
    RulesSyntax? Rules,
    LocationInfo Location);

/// <summary>The text-format message literal of a rules option, as key/value entries.</summary>
/// <param name="Entries">The entries in source order (duplicates kept; the binder reports them).</param>
/// <param name="Location">The whole option's place.</param>
internal sealed record RulesSyntax(EquatableArray<RuleEntrySyntax> Entries, LocationInfo Location);

/// <summary>One <c>key: value</c> entry.</summary>
internal sealed record RuleEntrySyntax(string Key, LocationInfo KeyLocation, RuleValueSyntax Value);

/// <summary>The lexical kind of a text-format value.</summary>
internal enum RuleValueKind
{
    Identifier,
    Number,
    String,
    Message,
    List,
}

/// <summary>A value in a text-format literal: its kind and the source text (sign included for numbers).</summary>
internal sealed record RuleValueSyntax(RuleValueKind Kind, string Text, LocationInfo Location);

/// <summary>An enum declaration with its values in source order.</summary>
internal sealed record EnumSyntax(string Name, EquatableArray<EnumValueSyntax> Values);

/// <summary>One enum value.</summary>
internal sealed record EnumValueSyntax(string Name, int Number);
