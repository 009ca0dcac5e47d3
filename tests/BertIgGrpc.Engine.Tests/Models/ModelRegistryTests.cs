using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.TestModels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Engine.Tests.Models;

public sealed class ModelRegistryTests(Xunit.Abstractions.ITestOutputHelper output) : ModelRegistryTestBase
{
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
            ["BertIg:CacheDirectory"] = Dir,
            ["BertIg:EnableDefaultModel"] = "false",
            ["BertIg:ExecutionProvider"] = "cpu",
        }).Build();
        using var services = new ServiceCollection().AddBertIgEngine(configuration).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<BertIgOptions>>().Value;

        Assert.Equal(Dir, options.ResolveCacheDirectory());
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
        Assert.True(File.Exists(Path.Combine(Dir, "cache", "minilm-sentiment", "model.json")));
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
