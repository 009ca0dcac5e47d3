using System.Text;
using System.Text.Json.Nodes;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Tests.Models;

/// <summary>The head JSON's low-rank encoder deltas (<c>W + A · B</c>), baked into the encoder's weights at compose time.</summary>
public class EncoderDeltaTests
{
    private static readonly long[] SuperbIds = [101, 2023, 3185, 2003, 21688, 102]; // "This movie is superb"

    [Fact]
    public void ZeroDelta_GivesTheSameBytesAndLogitsAsTheHeadWithout()
    {
        var (name, rows, cols) = TopFfnOutWeight();
        var random = new Random(3);
        var zero = new LowRankDelta(name, rows, cols, 2, RandomFloats(random, rows * 2, 0.1f), new float[2 * cols]);

        var plain = Compose(HeadJson([]));
        var withZero = Compose(HeadJson([zero]));

        Assert.Equal(plain, withZero); // 0 added in double and rounded once leaves every float as it was
        Assert.Equal(MiniLm.Run(plain, SuperbIds, "logits"), MiniLm.Run(withZero, SuperbIds, "logits"));
    }

    [Fact]
    public void NonzeroDelta_EqualsTheEncoderWithWPlusABAppliedByHand()
    {
        var (name, rows, cols) = TopFfnOutWeight();
        var random = new Random(5);
        var delta = new LowRankDelta(name, rows, cols, 3, RandomFloats(random, rows * 3, 0.2f), RandomFloats(random, 3 * cols, 0.2f));

        // By hand: the encoder with W + A·B written into the initializer, composed with the head alone.
        var encoder = MiniLm.Encoder.Clone(); // the loaded encoder is shared by other tests
        var w = encoder.Graph.Initializer.Single(t => t.Name == name);
        var values = Tensors.ToFloats(w);
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                double sum = 0;
                for (var k = 0; k < 3; k++)
                {
                    sum += (double)delta.A[(i * 3) + k] * delta.B[(k * cols) + j];
                }

                values[(i * cols) + j] = (float)(values[(i * cols) + j] + sum);
            }
        }

        w.RawData = Tensors.FromFloats(name, values, rows, cols).RawData;
        w.FloatData.Clear();
        var byHand = ClassifierHeadComposer.AppendMeanPoolingHead(encoder, "last_hidden_state", LinearHead.Parse(HeadJson([])), l2Normalize: true).ToByteArray();

        var head = LinearHead.Parse(HeadJson([delta]));
        var composed = Compose(HeadJson([delta]));
        var expected = MiniLm.Run(byHand, SuperbIds, "logits");
        var actual = MiniLm.Run(composed, SuperbIds, "logits");
        var unchanged = MiniLm.Run(Compose(HeadJson([])), SuperbIds, "logits");

        Assert.Equal(delta.A, Assert.Single(head.EncoderDeltas).A); // base64 float32 round-trips exactly
        Assert.Equal(expected, actual);
        Assert.True(Math.Abs(actual[1] - actual[0] - (unchanged[1] - unchanged[0])) > 1e-3, "the delta should change the logits");
    }

    [Fact]
    public void DeltaForAMissingOrMisshapenInitializer_IsRefusedNamingIt()
    {
        var (name, rows, cols) = TopFfnOutWeight();
        var missing = new LowRankDelta("no_such_weight", rows, cols, 1, new float[rows], new float[cols]);
        var misshapen = new LowRankDelta(name, cols, rows, 1, new float[cols], new float[rows]);

        Assert.Contains("no_such_weight", Assert.Throws<OnnxGraphException>(() => Compose(HeadJson([missing]))).Message);
        Assert.Contains(name, Assert.Throws<OnnxGraphException>(() => Compose(HeadJson([misshapen]))).Message);
        Assert.Throws<InvalidDataException>(() => LinearHead.Parse(Encoding.UTF8.GetBytes(
            $"{{\"weight\": [[1], [2]], \"bias\": [0, 0], \"encoder_deltas\": [{{\"initializer\": \"x\", \"shape\": [2, 2], \"rank\": 1, \"a\": \"AAAAAA==\", \"b\": \"\"}}]}}")));
    }

    // The top layer's FFN output weight [1536, 384]: the last MatMul whose second input is a 2-D initializer.
    private static (string Name, int Rows, int Cols) TopFfnOutWeight()
    {
        var graph = MiniLm.Encoder.Graph;
        var inits = graph.Initializer.Where(t => t.Dims.Count == 2).ToDictionary(t => t.Name);
        var node = graph.Node.Last(n => n.OpType == "MatMul" && inits.ContainsKey(n.Input[1]) && inits[n.Input[1]].Dims[0] == 1536);
        var t = inits[node.Input[1]];
        return (t.Name, (int)t.Dims[0], (int)t.Dims[1]);
    }

    private static float[] RandomFloats(Random random, int count, float scale) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];

    private static byte[] HeadJson(LowRankDelta[] deltas)
    {
        var head = JsonNode.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "reference", "head.json")))!.AsObject();
        if (deltas.Length > 0)
        {
            head[LowRankDelta.JsonProperty] = JsonNode.Parse("[" + string.Join(",", deltas.Select(d => d.ToJson())) + "]");
        }

        return Encoding.UTF8.GetBytes(head.ToJsonString());
    }

    private static byte[] Compose(byte[] headJson) =>
        ClassifierHeadComposer.AppendMeanPoolingHead(MiniLm.Encoder, "last_hidden_state", LinearHead.Parse(headJson), l2Normalize: true).ToByteArray();
}
