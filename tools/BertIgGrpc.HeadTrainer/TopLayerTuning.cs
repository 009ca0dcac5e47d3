using System.Diagnostics;
using System.Globalization;
using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BertIgGrpc.HeadTrainer;

/// <summary>Settings of <see cref="TopLayerTuning"/>.</summary>
internal sealed record TuningOptions(int Rank, int Epochs, int BatchSize, double LearningRate, double HeadLearningRate, int Seed, int Threads, int LexiconSentences, string? CheckpointDir, int Layers = 1, bool HoldOut = true, int Fold = 0)
{
    /// <summary>The settings from the command line (--rank, --tune-epochs, --lr, --head-lr, --tune-lexicon, --tune-layers, --tune-seed: the deltas' start and the shuffle, for measuring how much a result owes to them), else the defaults.</summary>
    public static TuningOptions FromArgs(int seed)
    {
        var inv = CultureInfo.InvariantCulture;
        return new(Rank: int.Parse(Cli.ArgValue("--rank") ?? "4", inv), Epochs: int.Parse(Cli.ArgValue("--tune-epochs") ?? "3", inv), BatchSize: 32,
            LearningRate: double.Parse(Cli.ArgValue("--lr") ?? "1e-3", inv), HeadLearningRate: double.Parse(Cli.ArgValue("--head-lr") ?? "2e-4", inv),
            Seed: int.Parse(Cli.ArgValue("--tune-seed") ?? seed.ToString(inv), inv), Threads: 2, LexiconSentences: int.Parse(Cli.ArgValue("--tune-lexicon") ?? "6000", inv), CheckpointDir: Cli.ArgValue("--tune-checkpoint"), Layers: int.Parse(Cli.ArgValue("--tune-layers") ?? "1", inv),
            HoldOut: !Environment.GetCommandLineArgs().Contains("--no-hold-out"), Fold: int.Parse(Cli.ArgValue("--hold-out-fold") ?? "0", inv) is var fold and >= 0 and < 5
                ? fold : throw new ArgumentException("--hold-out-fold must be 0 to 4."));
    }
}

/// <summary>
/// Fine-tunes the top encoder layer (low-rank deltas on its six weight matrices) together with the token-layer head,
/// starting from the current head with <c>B = 0</c> (so step 0 is today's model). The gradient is the engine's own:
/// <see cref="GradientGraphBuilder"/> differentiates the <see cref="AdapterGraph"/> with respect to theta, and ONNX
/// Runtime runs it with a fixed thread count; Adam steps on the host over seeded shuffled mini-batches. The lower
/// layers are frozen, so each sentence's top-layer input is computed once (and cached like the head features).
/// </summary>
internal static class TopLayerTuning
{
    private const int EncodeChunk = 2000;

    private static readonly RunOptions Once = new();

    public static (AdapterGraph Graph, float[] Theta, double TrainAccuracy, List<string> Log) Run(
        ModelProto encoder, byte[] vocab, string hiddenOutput, LinearHead head, IReadOnlyList<string> texts, int[] labels, double[] weights,
        string? cacheDir, string modelKey, IReadOnlyList<(string Name, List<(int Label, string Text)> Rows)> monitor, TuningOptions o)
    {
        var graph = AdapterGraph.Build(encoder, hiddenOutput, head.TokenBias!.Length, o.Rank, o.Layers);
        Console.Error.WriteLine($"tuning: top layer input '{graph.LayerInput}', {graph.Targets.Count} matrices ({string.Join(", ", graph.Targets.Select(t => $"{t.Initializer} [{t.Rows}x{t.Cols}]"))}), rank {o.Rank}, theta {graph.Length} floats");
        float[][] states;
        List<float[][]> monitorStates;
        using (var lower = new Embedder(graph.LowerLayers(encoder), vocab, graph.LayerInput))
        {
            // In fixed chunks, each cached on its own, so that sentences added at the end re-encode only the last chunks.
            states = [.. texts.Chunk(EncodeChunk).SelectMany(c => lower.Run(c, cacheDir, modelKey + "/" + graph.LayerInput))];
            monitorStates = [.. monitor.Select(m => lower.Run(m.Rows.Select(r => r.Text).ToList(), null, ""))];
        }

        var theta = graph.Initial(head, o.Seed);
        var log = new List<string>();
        var probe = Feeds(graph, states, [0, 1, 2], theta, null);
        var info = ShapeProbe.Run(graph.Forward, probe.ToDictionary(p => p.Name, p => p.Value));
        foreach (var f in probe) f.Value.Dispose();
        var gradient = GradientGraphBuilder.Build(graph.Forward, AdapterGraph.Theta, AdapterGraph.Output, info);
        using var options = new SessionOptions { IntraOpNumThreads = o.Threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, EnableMemoryPattern = false, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(OnnxModelFile.ToBytes(gradient.Model), options);
        using var forward = new InferenceSession(OnnxModelFile.ToBytes(graph.Forward), options);

        CheckGradient(session, forward, graph, states, labels, theta);
        log.Add(Report(forward, graph, theta, monitor, monitorStates, "step 0"));
        var (m, v) = (new double[theta.Length], new double[theta.Length]);
        var order = Enumerable.Range(0, texts.Count).ToArray();
        long step = 0;
        var clock = Stopwatch.StartNew();
        double correct = 0;
        // Each epoch's shuffle has its own seed and its end is checkpointed (theta and Adam's moments), so a run that
        // stops (ONNX Runtime crashed once in a long run here) resumes with --tune-checkpoint DIR to the same bytes.
        var first = Checkpoint.Load(o.CheckpointDir, theta, m, v, out step, log);
        for (var epoch = 0; epoch < first; epoch++)
        {
            new Random(o.Seed + (1000 * (epoch + 1))).Shuffle(order); // each epoch shuffles the previous order: replay them
        }

        for (var epoch = first; epoch < o.Epochs; epoch++)
        {
            new Random(o.Seed + (1000 * (epoch + 1))).Shuffle(order);
            double loss = 0, seen = 0;
            correct = 0;
            for (var start = 0; start < order.Length; start += o.BatchSize)
            {
                var batch = order[start..Math.Min(start + o.BatchSize, order.Length)];
                var total = batch.Sum(i => weights[i]);
                var seed = new float[batch.Length * 2];
                for (var r = 0; r < batch.Length; r++) seed[(r * 2) + labels[batch[r]]] = (float)(-weights[batch[r]] / total);
                var feeds = Feeds(graph, states, batch, theta, seed);
                using (var results = session.Run(Once, feeds.Select(f => f.Name).ToArray(), feeds.Select(f => f.Value).ToArray(), [gradient.LogitsOutput, gradient.GradientOutput]))
                {
                    var logp = results[0].GetTensorDataAsSpan<float>();
                    for (var r = 0; r < batch.Length; r++)
                    {
                        loss -= weights[batch[r]] * logp[(r * 2) + labels[batch[r]]];
                        seen += weights[batch[r]];
                        correct += (logp[1 + (r * 2)] > logp[r * 2] ? 1 : 0) == labels[batch[r]] ? 1 : 0;
                    }

                    step++;
                    Adam(theta, results[1].GetTensorDataAsSpan<float>(), m, v, step, graph.HeadOffset, o.LearningRate, o.HeadLearningRate);
                }

                foreach (var f in feeds) f.Value.Dispose();
                if (step % 50 == 0)
                {
                    Console.Error.WriteLine($"  epoch {epoch + 1} step {step}: loss {loss / seen:F4}, train acc {correct / (start + batch.Length):P2}, {clock.Elapsed.TotalSeconds:F0} s");
                }
            }

            Console.Error.WriteLine($"epoch {epoch + 1}/{o.Epochs}: loss {loss / seen:F4}, train acc (during the epoch) {correct / order.Length:P2}, {clock.Elapsed.TotalSeconds:F0} s");
            log.Add(Report(forward, graph, theta, monitor, monitorStates, $"epoch {epoch + 1} (loss {loss / seen:F4}, {clock.Elapsed.TotalSeconds:F0} s)"));
            Checkpoint.Save(o.CheckpointDir, epoch + 1, theta, m, v, step, log);
        }

        var p = Predict(forward, graph, states, theta);
        var trainAccuracy = labels.Where((y, i) => (p[i] > 0.5 ? 1 : 0) == y).Count() / (double)labels.Length;
        Console.Error.WriteLine($"tuning: {clock.Elapsed.TotalSeconds:F0} s, training accuracy {trainAccuracy:P2}");
        log.Add($"training accuracy after tuning {trainAccuracy:P2}{(first > 0 ? $" (this run resumed after epoch {first})" : "")}");
        return (graph, theta, trainAccuracy, log);
    }

    // The engine's gradient against central differences of the loss, at a few head and B coordinates (A's gradient is 0 while B = 0).
    private static void CheckGradient(InferenceSession session, InferenceSession forward, AdapterGraph graph, float[][] states, int[] labels, float[] theta)
    {
        int[] batch = [.. Enumerable.Range(0, Math.Min(8, states.Length))];
        var seed = new float[batch.Length * 2];
        foreach (var r in batch) seed[(r * 2) + labels[r]] = -1f / batch.Length;
        var feeds = Feeds(graph, states, batch, theta, seed);
        float[] grad;
        using (var results = session.Run(Once, feeds.Select(f => f.Name).ToArray(), feeds.Select(f => f.Value).ToArray(), [GradientGraphBuilder.GradientName]))
        {
            grad = results[0].GetTensorDataAsSpan<float>().ToArray();
        }

        foreach (var f in feeds) f.Value.Dispose();
        double Loss(float[] t)
        {
            var sub = batch.Select(i => states[i]).ToArray();
            var p = Predict(forward, graph, sub, t);
            return batch.Sum(r => -Math.Log(labels[r] == 1 ? p[r] : 1 - p[r])) / batch.Length;
        }

        var t0 = graph.Targets[0];
        int[] coords = [t0.Offset + (t0.Rows * graph.Rank) + 5, graph.Targets[^1].Offset + (graph.Targets[^1].Rows * graph.Rank) + 17, graph.HeadOffset + 1000, graph.Length - 3];
        const float eps = 1e-2f;
        foreach (var c in coords)
        {
            var plus = (float[])theta.Clone();
            var minus = (float[])theta.Clone();
            plus[c] += eps;
            minus[c] -= eps;
            var numeric = (Loss(plus) - Loss(minus)) / (2 * eps);
            Console.Error.WriteLine($"  gradient check theta[{c}]: engine {grad[c]:E4}, central difference {numeric:E4}");
        }
    }

    /// <summary>The METRICS.md line naming the command.</summary>
    public static string ProducedBy(IEnumerable<string> args)
    {
        // The settings that change the result; paths (--init, --cache, --tune-checkpoint, --out, --metrics) are left out.
        string[] paths = ["--init", "--cache", "--tune-checkpoint", "--out", "--metrics", "--score", "--dump"];
        var shown = new List<string>();
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (paths.Contains(list[i])) i++;
            else if (list[i] != "--tune-top-layer") shown.Add(list[i]);
        }

        return $"Produced by `dotnet run -c Release --project tools/BertIgGrpc.HeadTrainer -- --tune-top-layer --init HEAD{string.Concat(shown.Select(a => " " + a))}` with HEAD the earlier head whose sha256 is named below (from git history, see docs/models.md; deterministic: same bytes on every run).";
    }

    /// <summary>The METRICS.md paragraph on the tuning.</summary>
    public static string Describe(TuningOptions o, int count, string initSha) => string.Create(CultureInfo.InvariantCulture,
        $"**Top encoder layer fine-tuned** (`--tune-top-layer`, TopLayerTuning.cs, AdapterGraph.cs): rank-{o.Rank} deltas `W + A·B` on {(o.Layers == 1 ? "the last layer's six weight matrices" : $"the six weight matrices of each of the last {o.Layers} layers")} (query, key, value, attention output, FFN in, FFN out; stored in the head JSON as `encoder_deltas`, added to the encoder's weights when the model is composed) and the head above, trained together from the head in `--init` (sha256 `{initSha}`; B = 0 at the start, so step 0 is that model) on {count} sentences ({o.LexiconSentences} sampled lexicon template sentences, every phrase-level sentence, {(o.HoldOut ? $"the labelled review sentences but a held-out fifth of each source{(o.Fold > 0 ? $" (`--hold-out-fold {o.Fold}`)" : "")}" : "every labelled review sentence (`--no-hold-out`: nothing held out, so the review sentences give no accuracy below)")}): weighted cross-entropy, gradients by the engine's GradientGraphBuilder on the layer's ONNX graph, Adam (lr {o.LearningRate:R} for the deltas, {o.HeadLearningRate:R} for the head, batches of {o.BatchSize}, {o.Epochs} epochs, seeded shuffle), ONNX Runtime with {o.Threads} threads. Not cross-validated within one run (`--hold-out-fold K` reruns it with another fifth held out; docs/models.md gives the five folds); accuracies during tuning (the training graph's own forward pass):");

    /// <summary>Reads the head tuning starts from and its sha256; a head that already has encoder deltas is refused (tuning would stack them).</summary>
    public static (LinearHead Head, string Sha256) ReadInitHead(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var head = LinearHead.Parse(bytes);
        return head.EncoderDeltas.Count > 0
            ? throw new InvalidOperationException($"The --init head '{path}' already has encoder deltas; tune from a head without them (METRICS.md names the one used).")
            : (head, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
    }

    /// <summary>
    /// A seeded fifth of the <paramref name="count"/> sentences from <paramref name="first"/> on, held out of tuning: fold
    /// <paramref name="fold"/> (0 to 4) of one seeded shuffle, so the five folds are disjoint and fold 0 is the shipped run's.
    /// </summary>
    public static int[] HoldOut(int first, int count, int seed, int fold = 0)
    {
        var indices = Enumerable.Range(first, count).ToArray();
        new Random(seed + 1).Shuffle(indices);
        return [.. indices.Skip(fold * (count / 5)).Take(fold == 4 ? count - 4 * (count / 5) : count / 5).Order()];
    }

    /// <summary>The tuning set: every sentence after the first <paramref name="lexiconCount"/> (phrase-level and real ones) and a seeded sample of <paramref name="keep"/> lexicon template sentences.</summary>
    public static int[] Subsample(int count, int lexiconCount, int keep, int seed)
    {
        var lexicon = Enumerable.Range(0, lexiconCount).ToArray();
        new Random(seed).Shuffle(lexicon);
        return [.. lexicon.Take(Math.Min(keep, lexiconCount)).Order(), .. Enumerable.Range(lexiconCount, count - lexiconCount)];
    }

    /// <summary>Runs the forward training graph on <paramref name="states"/> and returns p(positive) per sentence.</summary>
    public static double[] Predict(InferenceSession forward, AdapterGraph graph, float[][] states, float[] theta)
    {
        var result = new double[states.Length];
        for (var start = 0; start < states.Length; start += 64)
        {
            var batch = Enumerable.Range(start, Math.Min(64, states.Length - start)).ToArray();
            var feeds = Feeds(graph, states, batch, theta, null);
            using (var results = forward.Run(Once, feeds.Select(f => f.Name).ToArray(), feeds.Select(f => f.Value).ToArray(), [AdapterGraph.Output]))
            {
                var logp = results[0].GetTensorDataAsSpan<float>();
                for (var r = 0; r < batch.Length; r++) result[batch[r]] = Math.Exp(logp[(r * 2) + 1]);
            }

            foreach (var f in feeds) f.Value.Dispose();
        }

        return result;
    }

    private static string Report(InferenceSession forward, AdapterGraph graph, float[] theta, IReadOnlyList<(string Name, List<(int Label, string Text)> Rows)> monitor, List<float[][]> states, string when)
    {
        var parts = monitor.Select((set, k) =>
        {
            var p = Predict(forward, graph, states[k], theta);
            return $"{set.Name} {set.Rows.Where((r, i) => (p[i] > 0.5 ? 1 : 0) == r.Label).Count()}/{set.Rows.Count}";
        });
        var line = $"{when}: {string.Join(", ", parts)}";
        Console.Error.WriteLine("  " + line);
        return line;
    }

    // Adam (beta 0.9, 0.999), one learning rate for the adapters and one for the head.
    private static void Adam(float[] theta, ReadOnlySpan<float> grad, double[] m, double[] v, long step, int headOffset, double lr, double headLr)
    {
        var correction = Math.Sqrt(1 - Math.Pow(0.999, step)) / (1 - Math.Pow(0.9, step));
        for (var i = 0; i < theta.Length; i++)
        {
            m[i] = (0.9 * m[i]) + (0.1 * grad[i]);
            v[i] = (0.999 * v[i]) + (0.001 * grad[i] * grad[i]);
            theta[i] -= (float)((i < headOffset ? lr : headLr) * correction * m[i] / (Math.Sqrt(v[i]) + 1e-8));
        }
    }

    // The inputs for the sentences in batch: top-layer inputs zero padded to the longest, the mask, theta, the seed.
    private static List<(string Name, OrtValue Value)> Feeds(AdapterGraph graph, float[][] states, int[] batch, float[] theta, float[]? seed)
    {
        var width = graph.Width;
        var seq = batch.Max(i => states[i].Length / width);
        var x = new float[batch.Length * seq * width];
        var mask = new long[batch.Length * seq];
        for (var r = 0; r < batch.Length; r++)
        {
            var s = states[batch[r]];
            s.CopyTo(x, r * seq * width);
            mask.AsSpan(r * seq, s.Length / width).Fill(1);
        }

        var feeds = new List<(string, OrtValue)>
        {
            (graph.LayerInput, OrtValue.CreateTensorValueFromMemory(x, [batch.Length, seq, width])),
            (AdapterGraph.Mask, OrtValue.CreateTensorValueFromMemory(mask, [batch.Length, seq])),
            (AdapterGraph.Theta, OrtValue.CreateTensorValueFromMemory(theta, [theta.Length])),
        };
        if (seed is not null) feeds.Add((GradientGraphBuilder.SeedName, OrtValue.CreateTensorValueFromMemory(seed, [batch.Length, 2])));
        return feeds;
    }

}
