using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>Loads and saves ONNX models, refusing what ONNX Runtime could not take from a single buffer.</summary>
public static class OnnxModelFile
{
    /// <summary>Protobuf's hard limit on one message; ONNX files above it need external data.</summary>
    public const long MaxModelBytes = int.MaxValue;

    /// <summary>Loads a model from a file. Throws <see cref="OnnxGraphException"/> for external data or files above 2 GB.</summary>
    public static ModelProto Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        }

        if (info.Length >= MaxModelBytes)
        {
            throw new OnnxGraphException(
                $"ONNX model '{path}' is {info.Length / (1024 * 1024)} MiB; models of 2 GB or more (protobuf's limit) are not supported.");
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses a model from bytes (<paramref name="source"/> names it in errors).</summary>
    public static ModelProto Parse(byte[] bytes, string source = "model")
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxGraphException($"'{source}' is not a valid ONNX model: {ex.Message}");
        }

        if (model.Graph is null)
        {
            throw new OnnxGraphException($"'{source}' has no graph.");
        }

        var external = model.Graph.Initializer.FirstOrDefault(t => t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0);
        if (external is not null)
        {
            throw new OnnxGraphException(
                $"'{source}' stores initializer '{external.Name}' as external data; save the model as one self-contained file (onnx.save(model, path, save_as_external_data=False)).");
        }

        return model;
    }

    /// <summary>Serialises a model (deterministic for the same model).</summary>
    public static byte[] ToBytes(ModelProto model) => model.ToByteArray();

    /// <summary>Writes a model to a file.</summary>
    public static void Save(ModelProto model, string path) => File.WriteAllBytes(path, ToBytes(model));
}
