using BenchmarkDotNet.Attributes;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Benchmarks;

/// <summary>
/// One explanation (50 Gauss-Legendre steps, all interpolation rows in one ONNX Runtime run) against a plain
/// batched forward pass over as many rows of the same length, on the default MiniLM sentiment classifier.
/// At 512 tokens both use 10 steps/rows: 50 rows of 512 tokens in one gradient run are estimated at about 15 GB.
/// The floor is 2x (forward plus input gradient); see benchmarks/README.md for measured ratios.
/// </summary>
[MemoryDiagnoser]
public class ExplainBenchmarks
{
    private ExplainerModel _model = null!;
    private OnnxAttributionRuntime _runtime = null!;
    private string _text = "";
    private long[] _ids = [];
    private long[] _mask = [];
    private long[] _types = [];

    /// <summary>Sequence length in tokens, [CLS] and [SEP] included.</summary>
    [Params(16, 128, 512)]
    public int Tokens { get; set; }

    private int Steps => Tokens >= 512 ? 10 : 50;

    [GlobalSetup]
    public void Setup()
    {
        var definition = BenchModel.Definition();
        var settings = BenchModel.Settings();
        _model = ExplainerModel.Load(definition, settings, NullLogger.Instance);
        _runtime = OnnxAttributionRuntime.Create(OnnxModelFile.Load(definition.ModelPath), definition.CutTensor, definition.Output, settings, NullLogger.Instance);

        _text = BenchModel.Text(Tokens);
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

    [Benchmark(Baseline = true, Description = "batched forward, one row per step")]
    public float[] ForwardRows() => _runtime.Forward(_ids, _mask, _types, Steps, Tokens).Logits;

    [Benchmark(Description = "explanation, one run")]
    public Task<Explanation> Explain()
        => _model.ExplainAsync(new ExplainRequestOptions { Text = _text, Steps = Steps, InternalBatchSize = Steps });
}
