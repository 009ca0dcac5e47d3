using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.TestModels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Engine.Tests.Models;

public sealed class ModelRegistryTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bertig-models-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Model, string Vocab) WriteTiny(string name, TinyBertBuilder? builder = null) =>
        (builder ?? new TinyBertBuilder()).WriteTo(Path.Combine(_dir, name));

    private ModelRegistry Registry(params ModelOptions[] models) => Registry(enableDefault: false, models);

    private ModelRegistry Registry(bool enableDefault, params ModelOptions[] models) => new(
        Options.Create(new BertIgOptions { EnableDefaultModel = enableDefault, Models = [.. models], CacheDirectory = Path.Combine(_dir, "cache") }),
        NullLoggerFactory.Instance)
    {
        EncoderDllPath = MiniLm.DllPath,
    };

    private ModelOptions Tiny(string name = "tiny", TinyBertBuilder? builder = null)
    {
        var (model, vocab) = WriteTiny(name, builder);
        return new ModelOptions { Name = name, Path = model, Vocab = vocab, Labels = ["neg", "pos"] };
    }

    private async Task<ModelLoadException> LoadFails(ModelRegistry registry)
    {
        using (registry)
        {
            var ex = await Assert.ThrowsAsync<ModelLoadException>(() => registry.LoadAsync());
            Assert.False(registry.IsReady);
            return ex;
        }
    }

    [Fact]
    public async Task UserModelFromConfiguration_LoadsPredictsAndExplains()
    {
        var (model, vocab) = WriteTiny("tiny");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BertIg:EnableDefaultModel"] = "false",
            ["BertIg:Models:0:Name"] = "tiny",
            ["BertIg:Models:0:Path"] = model,
            ["BertIg:Models:0:Vocab"] = vocab,
            ["BertIg:Models:0:Labels:0"] = "neg",
            ["BertIg:Models:0:Labels:1"] = "pos",
            ["BertIg:Models:0:MaxTokens"] = "32",
        }).Build();
        using var services = new ServiceCollection().AddBertIgEngine(configuration).BuildServiceProvider();
        var registry = services.GetRequiredService<ModelRegistry>();

        await registry.LoadAsync();

        Assert.True(registry.IsReady);
        var tiny = registry.Get("tiny");
        Assert.Same(tiny, registry.Get(""));
        Assert.Same(tiny, registry.Default);
        Assert.Equal(["neg", "pos"], tiny.Labels);
        Assert.Equal(32, tiny.MaxTokens);
        var prediction = Assert.Single(await tiny.PredictAsync(["this movie is good"]));
        Assert.Equal(2, prediction.Logits.Count);
        var explanation = await tiny.ExplainAsync(new ExplainRequestOptions { Text = "this movie is good", TargetLabel = "pos" });
        Assert.Equal(["[CLS]", "this", "movie", "is", "good", "[SEP]"], explanation.Tokens.Select(t => t.Token));
        // Completeness: attributions add up to F(x) - F(baseline).
        Assert.True(Math.Abs(explanation.ConvergenceDelta) <= 1e-3 * Math.Max(1, Math.Abs(explanation.ScoreInput - explanation.ScoreBaseline)));
    }

    [Fact]
    public void AddBertIgEngine_BindsOptionsFromBertIgSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BertIg:CacheDirectory"] = _dir,
            ["BertIg:EnableDefaultModel"] = "false",
            ["BertIg:ExecutionProvider"] = "cpu",
        }).Build();
        using var services = new ServiceCollection().AddBertIgEngine(configuration).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<BertIgOptions>>().Value;

        Assert.Equal(_dir, options.ResolveCacheDirectory());
        Assert.False(options.EnableDefaultModel);
        Assert.Equal("cpu", options.ExecutionProvider);
        Assert.Same(services.GetRequiredService<ModelRegistry>(), services.GetRequiredService<ModelRegistry>());
    }

    [Fact]
    public async Task Get_UnknownName_ThrowsModelNotFoundListingModels()
    {
        using var registry = Registry(Tiny("a"), Tiny("b"));
        await registry.LoadAsync();

        var ex = Assert.Throws<ModelNotFoundException>(() => registry.Get("c"));

        Assert.Equal("c", ex.Name);
        Assert.Contains("a, b", ex.Message);
        Assert.Equal(["a", "b"], registry.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task DefaultModelOption_PicksThatModelFirst()
    {
        var registry = new ModelRegistry(
            Options.Create(new BertIgOptions { EnableDefaultModel = false, DefaultModel = "b", Models = [Tiny("a"), Tiny("b")] }),
            NullLoggerFactory.Instance);
        using (registry)
        {
            await registry.LoadAsync();
            Assert.Equal("b", registry.Default.Name);
            Assert.Equal(["b", "a"], registry.Models.Select(m => m.Name));
        }
    }

    [Fact]
    public async Task NoTokenTypeIds_LoadsAnyway()
    {
        using var registry = Registry(Tiny("tiny", new TinyBertBuilder { TokenTypeIds = false }));

        await registry.LoadAsync();

        Assert.Single(await registry.Get("tiny").PredictAsync(["good fun"]));
    }

    [Fact]
    public async Task ModelFileMissing_FailsNamingModelAndPath()
    {
        var options = Tiny();
        options.Path = Path.Combine(_dir, "missing", "model.onnx");

        var ex = await LoadFails(Registry(options));

        Assert.Equal("tiny", ex.Model);
        Assert.Contains($"model file '{options.Path}' does not exist", ex.Message);
    }

    [Fact]
    public async Task VocabMissing_FailsNamingModelAndPath()
    {
        var options = Tiny();
        options.Vocab = Path.Combine(_dir, "missing", "vocab.txt");

        var ex = await LoadFails(Registry(options));

        Assert.Equal("tiny", ex.Model);
        Assert.Contains($"vocabulary file '{options.Vocab}' does not exist", ex.Message);
    }

    [Fact]
    public async Task NoAttentionMaskInput_FailsNamingTheInput()
    {
        var ex = await LoadFails(Registry(Tiny("tiny", new TinyBertBuilder { AttentionMask = false })));

        Assert.Equal("Model 'tiny': the model has no 'attention_mask' input (inputs: input_ids, token_type_ids); a classifier must take input_ids and attention_mask, and optionally token_type_ids.", ex.Message);
    }

    [Fact]
    public async Task OutputOfRank3_FailsSayingBatchClasses()
    {
        var ex = await LoadFails(Registry(Tiny("tiny", new TinyBertBuilder { OutputTokenStates = true })));

        Assert.Equal("Model 'tiny': output 'logits' has rank 3; it must be logits of shape [batch, classes].", ex.Message);
    }

    [Fact]
    public async Task LabelCountMismatch_FailsWithBothCounts()
    {
        var options = Tiny("tiny", new TinyBertBuilder { Classes = 3 });

        var ex = await LoadFails(Registry(options));

        Assert.Equal("Model 'tiny': output 'logits' has 3 classes but 2 labels are configured (neg, pos).", ex.Message);
    }

    [Fact]
    public async Task OutputNameNotInModel_FailsListingOutputs()
    {
        var options = Tiny();
        options.Output = "scores";

        var ex = await LoadFails(Registry(options));

        Assert.Equal("Model 'tiny': output 'scores' is not a model output (outputs: logits).", ex.Message);
    }

    [Fact]
    public async Task DuplicateNames_Fail()
    {
        var ex = await LoadFails(Registry(Tiny("tiny"), Tiny("tiny")));

        Assert.Equal("Model 'tiny': the name is configured more than once in BertIg:Models; model names must be unique.", ex.Message);
    }

    [Fact]
    public async Task UserModelNamedLikeDefault_FailsWhileDefaultEnabled()
    {
        var ex = await LoadFails(Registry(enableDefault: true, Tiny("minilm-sentiment")));

        Assert.Contains("reserved for the embedded default model", ex.Message);
    }

    [Fact]
    public async Task MissingName_FailsNamingTheEntry()
    {
        var options = Tiny();
        options.Name = "";

        var ex = await LoadFails(Registry(options));

        Assert.Equal("Model 'BertIg:Models:0': 'Name' is required.", ex.Message);
    }

    [Fact]
    public async Task NoLabels_Fails()
    {
        var options = Tiny();
        options.Labels = [];

        var ex = await LoadFails(Registry(options));

        Assert.Contains("'Labels' must list one non-empty label per class", ex.Message);
    }

    [Fact]
    public async Task NotAnOnnxFile_FailsNamingThePath()
    {
        var options = Tiny();
        File.WriteAllText(options.Path, "this is not protobuf at all \u0001\u0002");

        var ex = await LoadFails(Registry(options));

        Assert.Equal("tiny", ex.Model);
        Assert.Contains(options.Path, ex.Message);
    }

    [Fact]
    public async Task CutTensorNotFound_FailsNamingTheTensor()
    {
        var options = Tiny();
        options.CutTensor = "no_such_tensor";

        var ex = await LoadFails(Registry(options));

        Assert.Equal("tiny", ex.Model);
        Assert.Contains("'no_such_tensor'", ex.Message);
    }

    [Fact]
    public async Task OpWithoutGradientRule_FailsNamingOpAndNode()
    {
        var ex = await LoadFails(Registry(Tiny("tiny", new TinyBertBuilder { UnsupportedOp = "Sin" })));

        Assert.Equal("tiny", ex.Model);
        Assert.Contains("Sin", ex.Message);
        Assert.Contains("'unsupported'", ex.Message);
    }

    [Fact]
    public async Task NothingConfigured_Fails()
    {
        var ex = await LoadFails(Registry());

        Assert.Contains("no model is configured", ex.Message);
    }

    [Fact]
    public void Get_BeforeLoad_ThrowsInvalidOperation()
    {
        using var registry = Registry(Tiny());

        Assert.Throws<InvalidOperationException>(() => registry.Get(null));
    }

    [Fact]
    public async Task DefaultModel_MaterialisedAndExplained_SuperbTopsPositive()
    {
        using var registry = Registry(enableDefault: true);
        await registry.LoadAsync();
        var model = registry.Get(null);
        Assert.Equal("minilm-sentiment", model.Name);
        Assert.True(File.Exists(Path.Combine(_dir, "cache", "minilm-sentiment", "model.json")));
        foreach (var text in (string[])["This movie is superb", "It's a heartfelt film about love, loss, and legacy", "A noisy, hideous, and viciously cumbersome movie"])
        {
            var e = await model.ExplainAsync(new ExplainRequestOptions { Text = text });
            output.WriteLine($"{text} -> {e.Prediction.Label} p={e.Prediction.Probability:F4} delta={e.ConvergenceDelta:E2}; top: "
                + string.Join(", ", e.Words.OrderByDescending(w => w.Attribution).Take(3).Select(w => $"{w.Token} {w.AttributionNormalized:F3}")));
        }

        var explanation = await model.ExplainAsync(new ExplainRequestOptions { Text = "This movie is superb", TargetLabel = "positive" });

        Assert.Equal("positive", explanation.Prediction.Label);
        var top = explanation.Tokens.Where(t => !t.Special).MaxBy(t => t.Attribution)!;
        Assert.Equal("superb", top.Token);
        Assert.True(top.Attribution > 0);
        Assert.True(Math.Abs(explanation.ConvergenceDelta) < 1e-3 * Math.Abs(explanation.ScoreInput - explanation.ScoreBaseline));
    }
}
