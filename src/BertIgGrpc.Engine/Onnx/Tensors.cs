using System.Buffers.Binary;
using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>Builds and reads <see cref="TensorProto"/> values.</summary>
public static class Tensors
{
    /// <summary>ONNX element type of float32.</summary>
    public const int Float = (int)TensorProto.Types.DataType.Float;
    /// <summary>ONNX element type of int64.</summary>
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;
    /// <summary>ONNX element type of int32.</summary>
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;
    /// <summary>ONNX element type of double.</summary>
    public const int Double = (int)TensorProto.Types.DataType.Double;
    /// <summary>ONNX element type of float16.</summary>
    public const int Float16 = (int)TensorProto.Types.DataType.Float16;

    /// <summary>Whether the element type is a floating-point type (gradients flow only through these).</summary>
    public static bool IsFloating(int elemType)
        => elemType is Float or Double or Float16 or (int)TensorProto.Types.DataType.Bfloat16;

    /// <summary>Creates a float tensor with the given dims.</summary>
    public static TensorProto FromFloats(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = Float };
        t.Dims.AddRange(dims);
        // ONNX raw_data is little-endian whatever the host.
        t.RawData = ByteString.CopyFrom(LittleEndianBytes(values));
        return t;
    }

    /// <summary>The little-endian float32 bytes of <paramref name="values"/> (as ONNX raw_data stores them).</summary>
    public static byte[] LittleEndianBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return bytes;
    }

    /// <summary>The floats of little-endian float32 <paramref name="bytes"/> (the inverse of <see cref="LittleEndianBytes"/>).</summary>
    /// <exception cref="FormatException">The byte count is not a multiple of 4.</exception>
    public static float[] FromLittleEndianBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new FormatException($"{bytes.Length} bytes are not a whole number of float32 values");
        }

        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }

        return values;
    }

    /// <summary>Creates an int64 tensor with the given dims (a 1-D vector when <paramref name="dims"/> is empty).</summary>
    public static TensorProto FromInt64s(string name, long[] values, long[]? dims = null)
    {
        var t = new TensorProto { Name = name, DataType = Int64 };
        t.Dims.AddRange(dims ?? [values.Length]);
        var bytes = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    /// <summary>Reads an integer tensor (int64 or int32) as longs.</summary>
    public static long[] ToInt64s(TensorProto t)
    {
        if (t.DataType == Int64)
        {
            return t.HasRawData
                ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray()
                : [.. t.Int64Data];
        }

        if (t.DataType == Int32)
        {
            return t.HasRawData
                ? [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v)]
                : [.. t.Int32Data.Select(v => (long)v)];
        }

        throw new OnnxGraphException($"Tensor '{t.Name}' has element type {t.DataType}; an integer tensor was expected.");
    }

    /// <summary>Reads a float tensor as floats.</summary>
    public static float[] ToFloats(TensorProto t)
    {
        if (t.DataType != Float)
        {
            throw new OnnxGraphException($"Tensor '{t.Name}' has element type {t.DataType}; a float tensor was expected.");
        }

        return t.HasRawData
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray()
            : [.. t.FloatData];
    }
}
