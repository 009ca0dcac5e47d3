using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace BertIgGrpc.Engine.Autodiff;

/// <summary>
/// Learns every tensor's element type and rank by running the forward model once on a small sample with all
/// intermediate tensors exposed as outputs. ONNX has no shape inference in .NET; one run is cheap and exact.
/// </summary>
public static class ShapeProbe
{
    /// <summary>Runs the probe. <paramref name="feeds"/> maps each graph input to a sample value.</summary>
    public static Dictionary<string, TensorInfo> Run(ModelProto model, IReadOnlyDictionary<string, OrtValue> feeds)
    {
        var probe = model.Clone();
        var graph = probe.Graph;
        var existing = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var names = new List<string>(graph.Output.Select(o => o.Name));
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output.Where(o => o.Length > 0 && existing.Add(o)))
            {
                // An output with only a name: ONNX Runtime fills in the inferred type.
                graph.Output.Add(new ValueInfoProto { Name = o });
                names.Add(o);
            }
        }

        var result = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        using (var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL })
        using (var session = new InferenceSession(OnnxModelFile.ToBytes(probe), options))
        using (var runOptions = new RunOptions())
        {
            var inputNames = feeds.Keys.ToArray();
            var inputValues = inputNames.Select(n => feeds[n]).ToArray();
            using var outputs = session.Run(runOptions, inputNames, inputValues, names);
            for (var i = 0; i < names.Count; i++)
            {
                var value = outputs[i];
                if (!value.IsTensor) continue;
                var ti = value.GetTensorTypeAndShape();
                result[names[i]] = new TensorInfo((int)ti.ElementDataType, ti.Shape);
            }
        }

        foreach (var (name, value) in feeds)
        {
            var ti = value.GetTensorTypeAndShape();
            result[name] = new TensorInfo((int)ti.ElementDataType, ti.Shape);
        }

        foreach (var init in model.Graph.Initializer)
        {
            result[init.Name] = new TensorInfo(init.DataType, [.. init.Dims]);
        }

        return result;
    }
}
