using System.Collections.Generic;

namespace BertIgGrpc.Contracts.Generator.Descriptors;

// The parts of google/protobuf/descriptor.proto that the generator reads, decoded from the wire as they are.
// Short-lived (one read step); the equatable syntax model is built from them.

/// <summary>A FileDescriptorProto.</summary>
internal sealed class RawFile
{
    public string Name = string.Empty;
    public string Package = string.Empty;
    public string Syntax = string.Empty;
    public string? CSharpNamespace;
    public readonly List<string> Dependencies = new();
    public readonly List<RawMessage> Messages = new();
    public readonly List<RawEnum> Enums = new();
    public readonly List<RawField> Extensions = new();

    /// <summary>Source spans (0-based start line, start column, end line, end column) by dotted location path.</summary>
    public readonly Dictionary<string, int[]> Spans = new();
}

/// <summary>A DescriptorProto.</summary>
internal sealed class RawMessage
{
    public string Name = string.Empty;
    public readonly List<RawField> Fields = new();
    public readonly List<RawMessage> Nested = new();
    public readonly List<RawEnum> Enums = new();
    public readonly List<RawOneof> Oneofs = new();
    public bool MapEntry;

    /// <summary>The serialized MessageOptions, or null.</summary>
    public byte[]? Options;
}

/// <summary>A OneofDescriptorProto.</summary>
internal sealed class RawOneof
{
    public string Name = string.Empty;
    public byte[]? Options;
}

/// <summary>A FieldDescriptorProto.</summary>
internal sealed class RawField
{
    public string Name = string.Empty;
    public int Number;
    public int Label;
    public int Type;
    public string TypeName = string.Empty;
    public string Extendee = string.Empty;
    public int? OneofIndex;
    public bool Proto3Optional;
    public byte[]? Options;

    public bool IsRepeated => Label == 3;
}

/// <summary>An EnumDescriptorProto.</summary>
internal sealed class RawEnum
{
    public string Name = string.Empty;
    public readonly List<KeyValuePair<string, int>> Values = new();
}
