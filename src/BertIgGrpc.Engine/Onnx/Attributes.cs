using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>Reads and creates node attributes.</summary>
public static class Attributes
{
    /// <summary>Gets an int attribute or <paramref name="fallback"/>.</summary>
    public static long GetInt(this NodeProto node, string name, long fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    /// <summary>Gets a float attribute or <paramref name="fallback"/>.</summary>
    public static float GetFloat(this NodeProto node, string name, float fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>Gets an ints attribute or null.</summary>
    public static long[]? GetInts(this NodeProto node, string name)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : null;

    /// <summary>Gets a string attribute or <paramref name="fallback"/>.</summary>
    public static string GetStringAttr(this NodeProto node, string name, string fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>Creates an int attribute.</summary>
    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>Creates a float attribute.</summary>
    public static AttributeProto Float(string name, float value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Creates an ints attribute.</summary>
    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>Creates a string attribute.</summary>
    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>Creates a tensor attribute.</summary>
    public static AttributeProto Tensor(string name, TensorProto value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
