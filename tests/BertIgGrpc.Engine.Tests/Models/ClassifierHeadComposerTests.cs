using System.Security.Cryptography;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Tests.Models;

public class ClassifierHeadComposerTests
{
    private static readonly long[] SuperbIds = [101, 2023, 3185, 2003, 21688, 102]; // "This movie is superb"

    private static LinearHead ReferenceHead =>
        LinearHead.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "reference", "head.json")));

    [Fact]
    public void MiniLmWithReferenceHead_MatchesCaptumLogits()
    {
        var head = ReferenceHead;
        var model = ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", head.Weight, head.Bias, l2Normalize: false);

        var logits = MiniLm.Run(model.ToByteArray(), SuperbIds, "logits");

        // Reference: text1_n50.json "logits" (PyTorch, same encoder and head).
        Assert.Equal(2, logits.Length);
        Assert.Equal(1.6924724578857422, logits[0], 1e-4);
        Assert.Equal(-1.9820125102996826, logits[1], 1e-4);
    }

    [Fact]
    public void ComposeTwice_GivesIdenticalBytes()
    {
        var head = ReferenceHead;
        var first = ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", head.Weight, head.Bias, l2Normalize: true).ToByteArray();
        var second = ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", head.Weight, head.Bias, l2Normalize: true).ToByteArray();

        Assert.Equal(Convert.ToHexString(SHA256.HashData(first)), Convert.ToHexString(SHA256.HashData(second)));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Compose_KeepsOnlyLogitsOutputAndDropsPooler()
    {
        var head = ReferenceHead;
        var model = ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", head.Weight, head.Bias, l2Normalize: true);

        var output = Assert.Single(model.Graph.Output);
        Assert.Equal("logits", output.Name);
        Assert.Equal(2, output.Type.TensorType.Shape.Dim.Count);
        Assert.Equal(2, output.Type.TensorType.Shape.Dim[1].DimValue);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Tanh"); // BERT's pooler feeds only the removed output.
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Max");
        Assert.Equal(3, model.Graph.Input.Count);
        Assert.Equal(3, MiniLm.Encoder.Graph.Output.Count + 1); // the encoder itself is untouched
    }

    [Fact]
    public void TanhHiddenLayer_GivesTheLogitsComputedFromThePooledVector()
    {
        // A 3-unit hidden layer with fixed pseudo-random weights, in the head JSON layout the trainer writes.
        var random = new Random(7);
        var hw = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 384).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray()).ToArray();
        float[] hb = [0.1f, -0.2f, 0.3f];
        float[][] w = [[0.5f, -1f, 2f], [-0.5f, 1f, -2f]];
        float[] b = [0.25f, -0.25f];
        static string Rows(float[][] rows) => "[" + string.Join(",", rows.Select(r => "[" + string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]")) + "]";
        static string Row(float[] r) => Rows([r])[1..^1];
        var head = LinearHead.Parse(System.Text.Encoding.UTF8.GetBytes(
            $"{{\"hidden_activation\":\"tanh\",\"hidden_weight\":{Rows(hw)},\"hidden_bias\":{Row(hb)},\"weight\":{Rows(w)},\"bias\":{Row(b)}}}"));

        var logits = MiniLm.Run(ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", head, l2Normalize: true).ToByteArray(), SuperbIds, "logits");
        var pooled = MiniLm.Run(ClassifierHeadComposer.AppendMeanPooling(MiniLm.Encoder, "last_hidden_state", l2Normalize: true).ToByteArray(), SuperbIds, "embedding");

        var h = hw.Select((row, j) => Math.Tanh(row.Zip(pooled, (x, y) => (double)x * y).Sum() + hb[j])).ToArray();
        Assert.Equal(384, head.Inputs);
        Assert.Equal(3, head.Hidden);
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(w[c].Zip(h, (x, y) => x * y).Sum() + b[c], logits[c], 1e-4);
        }
    }

    [Fact]
    public void TokenLayer_GivesTheLogitsComputedFromEveryTokenState()
    {
        // Three token units: each token state goes through tanh(state · Tᵀ + t), the units are averaged over the
        // tokens (not normalised), then the output layer.
        var random = new Random(11);
        var tw = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 384).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.2f).ToArray()).ToArray();
        float[] tb = [0.3f, -0.1f, 0.05f];
        float[][] w = [[1f, -2f, 0.5f], [-1f, 2f, -0.5f]];
        float[] b = [0.1f, -0.1f];
        static string Rows(float[][] rows) => "[" + string.Join(",", rows.Select(r => "[" + string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]")) + "]";
        static string Row(float[] r) => Rows([r])[1..^1];
        var head = LinearHead.Parse(System.Text.Encoding.UTF8.GetBytes(
            $"{{\"token_activation\":\"tanh\",\"token_weight\":{Rows(tw)},\"token_bias\":{Row(tb)},\"weight\":{Rows(w)},\"bias\":{Row(b)}}}"));

        var logits = MiniLm.Run(ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", head, l2Normalize: true).ToByteArray(), SuperbIds, "logits");
        var states = MiniLm.Run(MiniLm.Encoder.ToByteArray(), SuperbIds, "last_hidden_state");

        var pooled = new double[3];
        for (var t = 0; t < SuperbIds.Length; t++)
        {
            for (var j = 0; j < 3; j++)
            {
                pooled[j] += Math.Tanh(tw[j].Select((v, k) => (double)v * states[(t * 384) + k]).Sum() + tb[j]) / SuperbIds.Length;
            }
        }

        Assert.Equal(384, head.Inputs);
        Assert.Equal(3, head.PooledWidth);
        for (var c = 0; c < 2; c++)
        {
            Assert.Equal(w[c].Zip(pooled, (x, y) => x * y).Sum() + b[c], logits[c], 1e-4);
        }
    }

    [Fact]
    public void TokenLayerThatTheNextLayerDoesNotRead_IsRefused()
    {
        var json = "{\"token_activation\":\"tanh\",\"token_weight\":[[1,2],[3,4]],\"token_bias\":[0,0],\"weight\":[[1],[2]],\"bias\":[0,0]}";

        var ex = Assert.Throws<InvalidDataException>(() => LinearHead.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Contains("token layer", ex.Message);
    }

    [Fact]
    public void HiddenLayerWithoutTanh_IsRefused()
    {
        var json = "{\"hidden_activation\":\"relu\",\"hidden_weight\":[[1,2]],\"hidden_bias\":[0],\"weight\":[[1],[2]],\"bias\":[0,0]}";

        var ex = Assert.Throws<InvalidDataException>(() => LinearHead.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Contains("tanh", ex.Message);
    }

    [Fact]
    public void L2Normalize_PooledVectorHasUnitNorm()
    {
        var model = ClassifierHeadComposer.AppendMeanPooling(MiniLm.Encoder, "last_hidden_state", l2Normalize: true);

        var embedding = MiniLm.Run(model.ToByteArray(), SuperbIds, "embedding");

        Assert.Equal(384, embedding.Length);
        Assert.Equal(1.0, Math.Sqrt(embedding.Sum(v => (double)v * v)), 1e-5);
    }

    [Fact]
    public void UnknownHiddenOutput_ThrowsNamingIt()
    {
        var head = ReferenceHead;
        var ex = Assert.Throws<OnnxGraphException>(() =>
            ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "nope", head.Weight, head.Bias, l2Normalize: false));
        Assert.Contains("'nope'", ex.Message);
    }

    [Fact]
    public void BiasLengthMismatch_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", new float[2, 384], new float[3], l2Normalize: false));
        Assert.Equal("bias", ex.ParamName);
    }

    [Fact]
    public void EncoderUsingTheHeadPrefix_IsRefusedNamingTheTensor()
    {
        var encoder = MiniLm.Encoder.Clone();
        encoder.Graph.Node[0].Output[0] = ClassifierHeadComposer.Prefix + "taken";

        var ex = Assert.Throws<OnnxGraphException>(() =>
            ClassifierHeadComposer.AppendMeanPooling(encoder, "last_hidden_state", l2Normalize: false));
        Assert.Contains($"'{ClassifierHeadComposer.Prefix}taken'", ex.Message);
    }

    [Theory]
    [InlineData(11, false)]
    [InlineData(13, true)]
    public void ReduceSumAxes_FollowTheEncodersOpset(int opset, bool axesAsInput)
    {
        var encoder = MiniLm.Encoder.Clone();
        encoder.OpsetImport.Single(o => Opset.IsDefaultDomain(o.Domain)).Version = opset;

        var model = ClassifierHeadComposer.AppendMeanPooling(encoder, "last_hidden_state", l2Normalize: true);

        var sums = model.Graph.Node.Where(n => n.OpType == "ReduceSum" && n.Name.StartsWith(ClassifierHeadComposer.Prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sums.Count);
        Assert.All(sums, n => Assert.Equal(axesAsInput, n.Input.Count == 2));
        Assert.All(sums, n => Assert.Equal(!axesAsInput, n.Attribute.Any(a => a.Name == "axes")));
    }
}
