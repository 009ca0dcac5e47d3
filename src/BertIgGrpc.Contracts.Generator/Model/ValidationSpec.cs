namespace BertIgGrpc.Contracts.Generator.Model;

// The emit model: everything the emitter needs, already in C# terms, with value equality.

/// <summary>The outcome of binding all .proto files: one spec per message with rules, and the diagnostics.</summary>
internal sealed record ValidationModel(EquatableArray<MessageSpec> Messages, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>A message that gets a generated <c>Validate()</c>.</summary>
/// <param name="HintName">Unique hint name of the generated source.</param>
/// <param name="Namespace">The C# namespace (empty for the global namespace).</param>
/// <param name="ContainingClasses">Enclosing message class names, outermost first (each wraps the next in <c>Types</c>).</param>
/// <param name="ClassName">The message's C# class name.</param>
/// <param name="ProtoFullName">The proto full name, for comments.</param>
/// <param name="RulesClassName">The name of the nested constants class.</param>
/// <param name="Fields">The fields with rules, in declaration order.</param>
internal sealed record MessageSpec(
    string HintName,
    string Namespace,
    EquatableArray<string> ContainingClasses,
    string ClassName,
    string ProtoFullName,
    string RulesClassName,
    EquatableArray<FieldSpec> Fields);

/// <summary>The shape of a field's value in C#.</summary>
internal enum FieldKind
{
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    UInt32,
    UInt64,
    Float,
    Double,
    Enum,
    Message,
}

/// <summary>How presence of a singular field is known.</summary>
internal enum FieldPresence
{
    /// <summary>Implicit presence: the zero value means unset.</summary>
    Implicit,

    /// <summary>A proto3 <c>optional</c> field: <c>HasX</c>.</summary>
    Optional,

    /// <summary>A oneof member: the oneof's case property.</summary>
    Oneof,
}

/// <summary>A field with rules.</summary>
/// <param name="ProtoName">The proto field name used in violation paths.</param>
/// <param name="PropertyName">The C# property name protoc generates.</param>
/// <param name="Kind">The value kind (of items, for repeated fields).</param>
/// <param name="IsRepeated">True for repeated fields.</param>
/// <param name="IsMap">True for map fields.</param>
/// <param name="Presence">How presence is known for singular fields.</param>
/// <param name="OneofCaseProperty">For oneof members: the case property, e.g. <c>TargetCase</c>.</param>
/// <param name="OneofCaseValue">For oneof members: the case enum member, e.g. <c>TargetOneofCase.TargetIndex</c>.</param>
/// <param name="EnumTypeName">For enums: the fully qualified C# enum type.</param>
/// <param name="EnumMembers">For enums: the C# member names of the distinct defined values.</param>
/// <param name="EnumDisplay">For enums: the proto value names, for violation descriptions.</param>
/// <param name="Rules">The rules.</param>
internal sealed record FieldSpec(
    string ProtoName,
    string PropertyName,
    FieldKind Kind,
    bool IsRepeated,
    bool IsMap,
    FieldPresence Presence,
    string? OneofCaseProperty,
    string? OneofCaseValue,
    string? EnumTypeName,
    EquatableArray<string> EnumMembers,
    string? EnumDisplay,
    RuleSet Rules);

/// <summary>The bound rules of one field (for repeated fields the value rules are the item rules); unset members impose nothing.</summary>
/// <remarks><see cref="IgnoreEmpty"/> is <c>ignore = IGNORE_IF_ZERO_VALUE</c>: no rule applies to the zero value.</remarks>
internal sealed record RuleSet(
    bool Required,
    string? Pattern,
    uint? MinLen,
    uint? MaxLen,
    ulong? MaxBytes,
    double? Gte,
    double? Lte,
    double? Gt,
    double? Lt,
    uint? MinItems,
    uint? MaxItems,
    bool DefinedOnly,
    bool IgnoreEmpty)
{
    public bool HasNumericBounds => Gte.HasValue || Lte.HasValue || Gt.HasValue || Lt.HasValue;
}
