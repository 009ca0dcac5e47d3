using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;

namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// Runs a model built by <see cref="ClassifierHeadComposer"/> over sentences in padded batches. The encoder and pooling
/// are the very graph the engine ships, so the head is trained on exactly the features it will see.
/// </summary>
internal sealed class Embedder : IDisposable
{
    private const int BatchSize = 64;
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly string _output;
    private readonly bool _perToken;

    public Embedder(ModelProto model, byte[] vocab, string output)
    {
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, InterOpNumThreads = 1 };
        _session = new InferenceSession(model.ToByteArray(), options);
        _tokenizer = BertTokenizer.Create(new MemoryStream(vocab), new BertOptions { LowerCaseBeforeTokenization = true });
        _output = output;
        var dims = model.Graph.Output.First(o => o.Name == output).Type.TensorType.Shape.Dim;
        _perToken = dims.Count == 3;
        Width = (int)dims[^1].DimValue;
    }

    /// <summary>Gets the output width per sentence, or per token for a <c>[batch, seq, width]</c> output (0 when symbolic).</summary>
    public int Width { get; private set; }

    /// <summary>Token ids with [CLS] and [SEP], as the engine tokenizes.</summary>
    public int[] Tokenize(string text) => [.. _tokenizer.EncodeToIds(text, addSpecialTokens: true, considerNormalization: true)];

    /// <summary>
    /// Returns one output row per sentence (for a per-token output, the sentence's tokens × width floats, padding
    /// dropped). Rows are cached under <paramref name="cacheDir"/> keyed by the sentences
    /// and the model, so re-running with other training settings skips the encoder.
    /// </summary>
    public float[][] Run(IReadOnlyList<string> texts, string? cacheDir, string modelKey)
    {
        string? cacheFile = null;
        if (cacheDir is not null)
        {
            var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("rows-v2\n" + modelKey + "\n" + string.Join("\n", texts))));
            cacheFile = Path.Combine(cacheDir, $"embeddings-{key[..16]}.bin");
            if (File.Exists(cacheFile))
            {
                return ReadCache(cacheFile, texts.Count);
            }
        }

        var ids = texts.Select(Tokenize).ToArray();
        // Similar lengths together keep padding small; a stable sort keeps runs identical.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => ids[i].Length).ThenBy(i => i).ToArray();
        var rows = new float[texts.Count][];
        for (var start = 0; start < order.Length; start += BatchSize)
        {
            var batch = order.Skip(start).Take(BatchSize).ToArray();
            var outputs = RunBatch(batch.Select(i => ids[i]).ToArray());
            for (var j = 0; j < batch.Length; j++)
            {
                rows[batch[j]] = outputs[j];
            }

            if ((start / BatchSize) % 20 == 0)
            {
                Console.Error.Write($"\r  encoded {Math.Min(start + BatchSize, order.Length)}/{order.Length}");
            }
        }

        Console.Error.WriteLine();
        if (cacheFile is not null)
        {
            Directory.CreateDirectory(cacheDir!);
            using var w = new BinaryWriter(File.Create(cacheFile));
            w.Write(Width);
            foreach (var row in rows)
            {
                w.Write(row.Length);
                w.Write(MemoryMarshal.AsBytes(row.AsSpan()));
            }
        }

        return rows;
    }

    private float[][] RunBatch(int[][] batch)
    {
        var seq = batch.Max(b => b.Length);
        var n = batch.Length;
        var inputIds = new long[n * seq];
        var mask = new long[n * seq];
        for (var r = 0; r < n; r++)
        {
            for (var t = 0; t < batch[r].Length; t++)
            {
                inputIds[(r * seq) + t] = batch[r][t];
                mask[(r * seq) + t] = 1;
            }
        }

        var shape = new[] { n, seq };
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(inputIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[n * seq], shape)),
        };
        using var results = _session.Run(inputs);
        var tensor = results.Single(r => r.Name == _output).AsTensor<float>();
        var flat = tensor.ToArray();
        var width = flat.Length / n;
        Width = _perToken ? tensor.Dimensions[2] : width;
        return Enumerable.Range(0, n).Select(r => flat.AsSpan(r * width, _perToken ? batch[r].Length * Width : width).ToArray()).ToArray();
    }

    private float[][] ReadCache(string file, int count)
    {
        using var r = new BinaryReader(File.OpenRead(file));
        Width = r.ReadInt32();
        var rows = new float[count][];
        for (var i = 0; i < count; i++)
        {
            rows[i] = new float[r.ReadInt32()];
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(rows[i].AsSpan()));
        }

        return rows;
    }

    public void Dispose() => _session.Dispose();
}
