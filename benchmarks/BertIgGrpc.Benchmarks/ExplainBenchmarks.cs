using BenchmarkDotNet.Attributes;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Models.DefaultModel;
using BertIgGrpc.Engine.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Benchmarks;

/// <summary>
/// One explanation (50 Gauss-Legendre steps, all 50 interpolation rows in one ONNX Runtime run) against a plain
/// batched forward pass over 50 rows of the same length, on the default MiniLM sentiment classifier.
/// The target: an explanation costs at most 2.5x that forward pass.
/// </summary>
[MemoryDiagnoser]
public class ExplainBenchmarks
{
    private const int Steps = 50;
    private ExplainerModel _model = null!;
    private OnnxAttributionRuntime _runtime = null!;
    private string _text = "";
    private long[] _ids = [];
    private long[] _mask = [];
    private long[] _types = [];

    /// <summary>Sequence length in tokens, [CLS] and [SEP] included.</summary>
    [Params(16, 128)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var cache = Path.Combine(Path.GetTempPath(), "bertig-bench-cache");
        var (definition, _) = new DefaultModelMaterializer(cache, MiniLmSentiment.DefaultEncoderDllPath, NullLogger.Instance).Materialize();
        var settings = new RuntimeSettings { ExecutionProvider = Environment.GetEnvironmentVariable("BERTIG_EP") ?? "auto" };
        _model = ExplainerModel.Load(definition, settings, NullLogger.Instance);
        _runtime = OnnxAttributionRuntime.Create(OnnxModelFile.Load(definition.ModelPath), definition.CutTensor, definition.Output, settings, NullLogger.Instance);

        // Single-piece words so that the text is exactly Tokens long with [CLS] and [SEP].
        string[] words = ["the", "movie", "was", "good", "and", "the", "cast", "is", "great"];
        _text = string.Join(' ', Enumerable.Range(0, Tokens - 2).Select(i => words[i % words.Length]));
        var encoded = _model.Tokenizer.Encode(_text, null, _model.MaxTokens, truncate: false);
        if (encoded.Ids.Length != Tokens)
        {
            throw new InvalidOperationException($"expected {Tokens} tokens, got {encoded.Ids.Length}");
        }

        _ids = [.. Enumerable.Range(0, Steps).SelectMany(_ => encoded.Ids.Select(id => (long)id))];
        _mask = [.. Enumerable.Repeat(1L, Steps * Tokens)];
        _types = new long[Steps * Tokens];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _runtime.Dispose();
    }

    [Benchmark(Baseline = true, Description = "batched forward, 50 rows")]
    public float[] Forward50Rows() => _runtime.Forward(_ids, _mask, _types, Steps, Tokens).Logits;

    [Benchmark(Description = "explanation, 50 steps")]
    public Task<Explanation> Explain()
        => _model.ExplainAsync(new ExplainRequestOptions { Text = _text, Steps = Steps, InternalBatchSize = Steps });
}
