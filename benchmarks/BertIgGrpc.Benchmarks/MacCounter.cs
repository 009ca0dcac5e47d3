using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace BertIgGrpc.Benchmarks;

/// <summary>
/// The arithmetic floor of an explanation run: multiply-accumulates of the matrix products (MatMul, FusedMatMul, Gemm)
/// of the plain forward and of the path gradient graph, from the shapes of one probe run of each (one row of a text of
/// the given length; every product is linear in the rows, so the ratio holds for any number of rows). Products of two
/// activations (attention's Q K^T and P V) need both operand gradients in the backward (two products each); products
/// with a weight need only the input gradient (one), so the least a path graph can do is 2 L + 3 A for a forward of
/// L + A. Counted on the graphs as built (ONNX Runtime's fusions into FusedMatMul or Gemm do not change the count).
/// </summary>
internal static class MacCounter
{
    /// <summary>Multiply-accumulates per row: weight products and activation products.</summary>
    internal readonly record struct Macs(double Weight, double Activation)
    {
        public double Total => Weight + Activation;

        public static Macs operator +(Macs a, Macs b) => new(a.Weight + b.Weight, a.Activation + b.Activation);
    }

    /// <summary>Prints the MAC table for one text length: forward, path forward part, path backward part, ratios.</summary>
    public static void Print(OnnxAttributionRuntime runtime, ModelProto forward, ModelProto path, GradientModel gradient, int tokens, int rows)
    {
        var (fNames, fValues, gNames, gValues) = GraphProfiler.Feeds(runtime, gradient, tokens, 1);
        try
        {
            var f = Count(forward, fNames, fValues).Forward;
            var (pf, pb) = Count(path, gNames, gValues);
            var floor = (2 * f.Weight + 3 * f.Activation) / f.Total;
            static string G(double macs) => $"{macs / 1e9:F3}";
            Console.WriteLine();
            Console.WriteLine($"MACs of the matrix products at {tokens} tokens, GMAC per row (x {rows} rows per run) | weight | activation x activation | all |");
            Console.WriteLine($"| forward | {G(f.Weight)} | {G(f.Activation)} | {G(f.Total)} |");
            Console.WriteLine($"| path graph: forward part | {G(pf.Weight)} | {G(pf.Activation)} | {G(pf.Total)} |");
            Console.WriteLine($"| path graph: backward part | {G(pb.Weight)} | {G(pb.Activation)} | {G(pb.Total)} |");
            Console.WriteLine($"MAC ratio path / forward {(pf + pb).Total / f.Total:F3} (least possible: (2 L + 3 A) / (L + A) = {floor:F3}; " +
                              $"activation products {f.Activation / f.Total:P1} of the forward's)");
        }
        finally
        {
            foreach (var v in fValues.Concat(gValues)) v.Dispose();
        }
    }

    /// <summary>MACs of the model's matrix products, split into forward nodes and backward (<c>grad/</c>) nodes.</summary>
    internal static (Macs Forward, Macs Backward) Count(ModelProto model, IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        var feeds = names.Zip(values).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        var info = ShapeProbe.Run(model, feeds);
        var constant = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        foreach (var node in model.Graph.Node)
        {
            // Constants, and what is computed from constants only (a transposed weight).
            var inputs = node.Input.Where(i => i.Length > 0).ToList();
            if (node.OpType == "Constant" || (inputs.Count > 0 && inputs.All(constant.Contains))) constant.UnionWith(node.Output);
        }

        Macs fwd = default, bwd = default;
        foreach (var node in model.Graph.Node)
        {
            var inner = node.OpType switch
            {
                "MatMul" => info[node.Input[0]].Shape[^1],
                "FusedMatMul" => node.Attribute.Any(a => a.Name == "transA" && a.I != 0) ? info[node.Input[0]].Shape[^2] : info[node.Input[0]].Shape[^1],
                "Gemm" => node.Attribute.Any(a => a.Name == "transA" && a.I != 0) ? info[node.Input[0]].Shape[0] : info[node.Input[0]].Shape[1],
                _ => 0,
            };
            if (inner == 0) continue;
            var macs = (double)inner * info[node.Output[0]].Shape.Aggregate(1L, (a, b) => a * b);
            var m = constant.Contains(node.Input[0]) || constant.Contains(node.Input[1]) ? new Macs(macs, 0) : new Macs(0, macs);
            if (node.Name.StartsWith("grad/", StringComparison.Ordinal)) bwd += m;
            else fwd += m;
        }

        return (fwd, bwd);
    }
}
