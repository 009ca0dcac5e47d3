using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>
/// The inputs and outputs of an ONNX file, read without materialising its weights: the reader walks the
/// protobuf stream and skips every field but the graph's <c>input</c>/<c>output</c>, so checking
/// a 400 MB model at start-up costs one pass over the file and no large allocation.
/// </summary>
public sealed record OnnxSignature(IReadOnlyList<ValueInfoProto> Inputs, IReadOnlyList<ValueInfoProto> Outputs)
{
    // Field numbers in onnx.proto.
    private const int ModelGraph = 7;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;

    /// <summary>Reads the signature of the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model.</exception>
    public static OnnxSignature Read(string path)
    {
        using var file = File.OpenRead(path);
        try
        {
            return Read(new CodedInputStream(file)) ?? throw new InvalidDataException($"'{path}' is not a valid ONNX file: it has no graph.");
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"'{path}' is not a valid ONNX file: {ex.Message}", ex);
        }
    }

    private static OnnxSignature? Read(CodedInputStream input)
    {
        var inputs = new List<ValueInfoProto>();
        var outputs = new List<ValueInfoProto>();
        var sawGraph = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            var lengthDelimited = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
            if (field == ModelGraph && lengthDelimited)
            {
                sawGraph = true;
                var end = input.ReadLength() + input.Position;
                while (input.Position < end)
                {
                    var inner = input.ReadTag();
                    var innerField = WireFormat.GetTagFieldNumber(inner);
                    if (innerField is GraphInput or GraphOutput && WireFormat.GetTagWireType(inner) == WireFormat.WireType.LengthDelimited)
                    {
                        var info = new ValueInfoProto();
                        input.ReadMessage(info);
                        (innerField == GraphInput ? inputs : outputs).Add(info);
                    }
                    else
                    {
                        input.SkipLastField();
                    }
                }
            }
            else
            {
                input.SkipLastField();
            }
        }

        return sawGraph ? new OnnxSignature(inputs, outputs) : null;
    }
}
