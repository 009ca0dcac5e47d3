using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.TestModels;

namespace BertIgGrpc.Engine.Tests.Models;

/// <summary>Configurations and model files the registry refuses, each with a message naming the model and the problem.</summary>
public sealed class ModelRegistryLoadFailureTests : ModelRegistryTestBase
{
    [Fact]
    public async Task ModelFileMissing_FailsNamingModelAndPath()
    {
        var options = Tiny();
        options.Path = Path.Combine(Dir, "missing", "model.onnx");

        var ex = await LoadFails(Registry(options));

        Assert.Equal("tiny", ex.Model);
        Assert.Contains($"model file '{options.Path}' does not exist", ex.Message);
    }

    [Fact]
    public async Task VocabMissing_FailsNamingModelAndPath()
    {
        var options = Tiny();
        options.Vocab = Path.Combine(Dir, "missing", "vocab.txt");

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
}
