using System.Diagnostics;
using System.Text.Json;
using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace BertIgGrpc.Benchmarks;

/// <summary>
/// <c>profile [tokens[:rows]]...</c>: runs the plain forward graph (ids -> cut and logits, as the engine's forward
/// session) and the path gradient graph (the engine's explanation run: K = rows interpolation points of one text) on
/// the default model under ONNX Runtime's profiler, interleaved, and prints the wall-time ratio and per-op-type kernel
/// totals of both, with the op counts of both graphs after ONNX Runtime's optimizations (which fusions happened).
/// Backward nodes are those the gradient builder named <c>grad/...</c>; ONNX Runtime keeps that prefix on fused nodes.
/// </summary>
internal static class GraphProfiler
{
    /// <param name="args">The cases.</param>
    /// <param name="macsOnly">Only the multiply-accumulate counts (<see cref="MacCounter"/>), no timed runs (<c>macs</c>).</param>
    public static void Run(string[] args, bool macsOnly = false)
    {
        var cases = args.Length == 0 ? ["16", "128", "512:16"] : args;
        var definition = BenchModel.Definition();
        var model = OnnxModelFile.Load(definition.ModelPath);
        using var runtime = OnnxAttributionRuntime.Create(OnnxModelFile.Load(definition.ModelPath), definition.CutTensor, definition.Output, BenchModel.Settings(), NullLogger.Instance);
        var gradient = runtime.GradientModel;
        var forward = model.Clone();
        var logits = forward.Graph.Output.First(o => o.Name == gradient.LogitsOutput).Clone();
        forward.Graph.Output.Clear();
        forward.Graph.Output.Add(new ValueInfoProto { Name = gradient.CutInput });
        forward.Graph.Output.Add(logits);
        var path = PathGraphBuilder.Build(gradient).Model;
        var dir = Directory.CreateTempSubdirectory("bertig-profile").FullName;
        var shrinkSetting = Environment.GetEnvironmentVariable("BERTIG_SHRINK"); // 1: after every run, 0: never, unset: as the engine
        Console.WriteLine($"Machine: {BenchModel.Machine()}; threads {Environment.GetEnvironmentVariable("BERTIG_THREADS") ?? "default"}, spinning {Environment.GetEnvironmentVariable("BERTIG_SPIN") ?? "default"}; arena shrinkage {shrinkSetting switch { "1" => "after every run", "0" => "never", _ => $"as the engine (runs over {runtime.KeptArenaBytes / 1e6:F0} MB)" }}; profiles in {dir}");
        var first = true;
        foreach (var c in cases)
        {
            var parts = c.Split(':');
            int tokens = int.Parse(parts[0]), rows = parts.Length > 1 ? int.Parse(parts[1]) : 50;
            MacCounter.Print(runtime, forward, path, gradient, tokens, rows);
            if (macsOnly) continue;
            using var fwd = NewSession(forward, dir, $"forward{tokens}");
            using var grad = NewSession(path, dir, $"path{tokens}");
            if (first) PrintOpCounts(Path.Combine(dir, $"forward{tokens}.opt.onnx"), Path.Combine(dir, $"path{tokens}.opt.onnx"));
            first = false;
            var repeats = parts.Length > 2 ? int.Parse(parts[2]) : 3;
            var shrink = shrinkSetting switch { "1" => true, "0" => false, _ => runtime.ShrinksArena(rows, tokens) };
            var (ft, gt) = Interleave(runtime, fwd, grad, gradient, tokens, rows, repeats, shrink);
            Console.WriteLine();
            Console.WriteLine($"## {tokens} tokens, {rows} rows (estimated peak {rows * runtime.ActivationBytesPerRow(tokens) / 1e6:F0} MB), arena shrinkage {(shrink ? "on" : "off")}: wall ms forward min {ft.Wall.Min():F0} median {Median(ft.Wall):F0}, " +
                              $"path min {gt.Wall.Min():F0} median {Median(gt.Wall):F0}; ratio of minima {gt.Wall.Min() / ft.Wall.Min():F2}, of medians {Median(gt.Wall) / Median(ft.Wall):F2}; " +
                              $"process CPU ms forward {Median(ft.Cpu):F0} path {Median(gt.Cpu):F0} (ratio {Median(gt.Cpu) / Median(ft.Cpu):F2}); " +
                              $"runs fwd {string.Join("/", ft.Wall.Select(t => t.ToString("F0")))}, path {string.Join("/", gt.Wall.Select(t => t.ToString("F0")))}; load {BenchModel.Machine().Split("load average ")[1]}");
            var (fFile, gFile) = (fwd.EndProfiling(), grad.EndProfiling());
            var fOps = OpTotals(fFile);
            var gOps = OpTotals(gFile);
            if (int.TryParse(Environment.GetEnvironmentVariable("BERTIG_PROFILE_NODES"), out var top)) PrintNodes(fFile, gFile, top, repeats);
            Console.WriteLine();
            Console.WriteLine("Kernel ms per run (warm-up runs left out) | op | forward | path graph: forward part | path graph: backward part |");
            foreach (var op in fOps.Keys.Union(gOps.Keys).OrderByDescending(o => Get(gOps, o).Fwd + Get(gOps, o).Bwd + Get(fOps, o).Fwd))
            {
                var (f, _) = Get(fOps, op);
                var (gf, gb) = Get(gOps, op);
                if (f + gf + gb < 0.5 * 1000 * repeats) continue;
                Console.WriteLine($"| {op} | {f / 1000 / repeats:F0} | {gf / 1000 / repeats:F0} | {gb / 1000 / repeats:F0} |");
            }

            Console.WriteLine($"| all ops | {fOps.Values.Sum(v => v.Fwd + v.Bwd) / 1000 / repeats:F0} | {gOps.Values.Sum(v => v.Fwd) / 1000 / repeats:F0} | {gOps.Values.Sum(v => v.Bwd) / 1000 / repeats:F0} |");
        }
    }

    /// <summary>Runs left out of the figures: the arena reaches its steady size only in the second run (page faults).</summary>
    private const int WarmUpRuns = 2;

    private static (double Fwd, double Bwd) Get(Dictionary<string, (double Fwd, double Bwd)> d, string op) => d.TryGetValue(op, out var v) ? v : (0, 0);

    private static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);

    private static InferenceSession NewSession(ModelProto model, string dir, string name)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ProfileOutputPathPrefix = Path.Combine(dir, name), // before EnableProfiling, which reads it
            EnableProfiling = true,
            OptimizedModelFilePath = Path.Combine(dir, name + ".opt.onnx"),
        };
        if (int.TryParse(Environment.GetEnvironmentVariable("BERTIG_THREADS"), out var threads)) options.IntraOpNumThreads = threads;
        if (Environment.GetEnvironmentVariable("BERTIG_SPIN") == "0") options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(OnnxModelFile.ToBytes(model), options);
    }

    private static ((List<double> Wall, List<double> Cpu) Forward, (List<double> Wall, List<double> Cpu) Path) Interleave(
        OnnxAttributionRuntime runtime, InferenceSession fwd, InferenceSession grad, GradientModel gradient, int tokens, int rows, int repeats, bool shrink)
    {
        var (fNames, fValues, gNames, gValues) = Feeds(runtime, gradient, tokens, rows);
        (List<double> Wall, List<double> Cpu) f = ([], []), g = ([], []);
        var process = Process.GetCurrentProcess();
        double Cpu() { process.Refresh(); return process.TotalProcessorTime.TotalMilliseconds; }
        static long Faults() => File.Exists("/proc/self/stat") ? long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7]) : 0;
        string[] fOut = [gradient.CutInput, gradient.LogitsOutput];
        string[] gOut = [gradient.LogitsOutput, PathModel.GradientSumOutput];
        using var ro = new RunOptions();
        if (shrink) ro.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        for (var r = -WarmUpRuns; r < repeats; r++)
        {
            var (c0, sw, f0) = (Cpu(), Stopwatch.StartNew(), Faults());
            using (fwd.Run(ro, fNames, fValues, fOut)) { }
            var (tf, cf, ff) = (sw.Elapsed.TotalMilliseconds, Cpu() - c0, Faults() - f0);
            (c0, sw, f0) = (Cpu(), Stopwatch.StartNew(), Faults());
            using (grad.Run(ro, gNames, gValues, gOut)) { }
            var (tg, cg, fg) = (sw.Elapsed.TotalMilliseconds, Cpu() - c0, Faults() - f0);
            Console.WriteLine($"run {r}: forward {tf:F0} ms, {ff} minor page faults; path {tg:F0} ms, {fg} minor page faults");
            if (r < 0) continue; // warm-up
            f.Wall.Add(tf);
            f.Cpu.Add(cf);
            g.Wall.Add(tg);
            g.Cpu.Add(cg);
        }

        foreach (var v in fValues.Concat(gValues)) v.Dispose();
        return (f, g);
    }

    /// <summary>Inputs of the plain forward (ids, mask, types) and of the path graph for <paramref name="rows"/> rows of one text of <paramref name="tokens"/> tokens.</summary>
    internal static (List<string> FNames, List<OrtValue> FValues, List<string> GNames, List<OrtValue> GValues) Feeds(
        OnnxAttributionRuntime runtime, GradientModel gradient, int tokens, int rows)
    {
        var hidden = runtime.HiddenSize;
        var ids = Enumerable.Range(0, rows * tokens).Select(i => (long)(1000 + (i % tokens))).ToArray();
        var mask = Enumerable.Repeat(1L, rows * tokens).ToArray();
        var types = new long[rows * tokens];
        var baseline = new float[tokens * hidden];
        var difference = Enumerable.Range(0, tokens * hidden).Select(i => (float)Math.Sin(i)).ToArray();
        var alphas = Enumerable.Range(0, rows).Select(k => (k + 0.5f) / rows).ToArray();
        var seed = Enumerable.Range(0, rows * runtime.NumClasses).Select(i => i % runtime.NumClasses == 0 ? 1f / rows : 0f).ToArray();
        OrtValue Longs(long[] v) => OrtValue.CreateTensorValueFromMemory(v, [rows, tokens]);
        var fNames = new List<string> { ClassifierSignature.InputIds, ClassifierSignature.AttentionMask };
        var fValues = new List<OrtValue> { Longs(ids), Longs(mask) };
        if (runtime.UsesTokenTypeIds)
        {
            fNames.Add(ClassifierSignature.TokenTypeIds);
            fValues.Add(Longs(types));
        }

        var gNames = new List<string> { PathModel.BaselineInput, PathModel.DifferenceInput, PathModel.AlphasInput, gradient.SeedInput };
        var gValues = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(baseline, [1, tokens, hidden]),
            OrtValue.CreateTensorValueFromMemory(difference, [1, tokens, hidden]),
            OrtValue.CreateTensorValueFromMemory(alphas, [rows, 1]),
            OrtValue.CreateTensorValueFromMemory(seed, [rows, runtime.NumClasses]),
        };
        foreach (var input in gradient.OtherInputs)
        {
            gNames.Add(input);
            gValues.Add(Longs(input == ClassifierSignature.AttentionMask ? mask : input == ClassifierSignature.TokenTypeIds ? types : new long[rows * tokens]));
        }

        return (fNames, fValues, gNames, gValues);
    }

    /// <summary>Kernel events after the warm-up runs: node name, op type, input shapes, microseconds.</summary>
    private static IEnumerable<(string Name, string Op, string Shapes, double Us)> KernelEvents(string profileFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(profileFile));
        var warmUpEnd = doc.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == "model_run")
            .Select(e => e.GetProperty("ts").GetDouble() + e.GetProperty("dur").GetDouble())
            .Order().ElementAt(WarmUpRuns - 1);
        var events = new List<(string, string, string, double)>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() != "Node" || e.GetProperty("ts").GetDouble() <= warmUpEnd) continue;
            var name = e.GetProperty("name").GetString() ?? "";
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            var args = e.GetProperty("args");
            var shapes = args.TryGetProperty("input_type_shape", out var s)
                ? string.Join(" ", s.EnumerateArray().SelectMany(o => o.EnumerateObject()).Select(p => $"[{string.Join(",", p.Value.EnumerateArray().Select(d => d.GetInt64()))}]"))
                : "";
            events.Add((name[..^"_kernel_time".Length], args.GetProperty("op_name").GetString() ?? "?", shapes, e.GetProperty("dur").GetDouble()));
        }

        return events;
    }

    /// <summary>The <paramref name="top"/> nodes of each graph by kernel time (BERTIG_PROFILE_NODES), with their input shapes.</summary>
    private static void PrintNodes(string forwardFile, string pathFile, int top, int repeats)
    {
        foreach (var (label, file) in new[] { ("forward", forwardFile), ("path", pathFile) })
        {
            Console.WriteLine($"Top {top} nodes of the {label} graph, kernel ms per run | node | op | input shapes |");
            foreach (var n in KernelEvents(file).GroupBy(e => e.Name).Select(g => (g.Key, g.First().Op, g.First().Shapes, Ms: g.Sum(e => e.Us) / 1000 / repeats)).OrderByDescending(n => n.Ms).Take(top))
                Console.WriteLine($"| {n.Ms:F1} | {n.Key} | {n.Op} | {n.Shapes} |");
        }
    }

    /// <summary>Sums the profile's kernel times (microseconds) per op type, split into forward and backward (<c>grad/</c>) nodes.</summary>
    private static Dictionary<string, (double Fwd, double Bwd)> OpTotals(string profileFile)
    {
        var totals = new Dictionary<string, (double Fwd, double Bwd)>(StringComparer.Ordinal);
        foreach (var (name, op, _, dur) in KernelEvents(profileFile))
        {
            var (fw, bw) = Get(totals, op);
            totals[op] = name.Contains("grad/", StringComparison.Ordinal) ? (fw, bw + dur) : (fw + dur, bw);
        }

        return totals;
    }

    private static void PrintOpCounts(string forwardFile, string pathFile)
    {
        static Dictionary<string, int> Count(string file) => OnnxModelFile.Load(file).Graph.Node
            .GroupBy(n => string.IsNullOrEmpty(n.Domain) ? n.OpType : $"{n.Domain}.{n.OpType}")
            .ToDictionary(g => g.Key, g => g.Count());
        var f = Count(forwardFile);
        var p = Count(pathFile);
        Console.WriteLine("Ops after ONNX Runtime's optimizations: op | forward graph | path graph");
        foreach (var op in f.Keys.Union(p.Keys).Order()) Console.WriteLine($"| {op} | {f.GetValueOrDefault(op)} | {p.GetValueOrDefault(op)} |");
    }
}
