using System.Diagnostics;
using System.Text.Json.Nodes;
using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.GpuCheck;

/// <summary>How much work the timing section does.</summary>
/// <param name="Lengths">Token counts (special tokens included) of the single explanations.</param>
/// <param name="Steps">Integration steps per explanation.</param>
/// <param name="Repeats">Timed repetitions per case (after one warm-up); the median is reported.</param>
/// <param name="Concurrent">Explanations started at once in the concurrency case.</param>
/// <param name="ConcurrentLength">Token count of the concurrent explanations.</param>
/// <param name="PredictTexts">Texts in the Predict case.</param>
internal sealed record TimingSettings(int[] Lengths, int Steps, int Repeats, int Concurrent, int ConcurrentLength, int PredictTexts);

/// <summary>The work the check does on a loaded default model.</summary>
internal static class Workload
{
    /// <summary>The seed texts of the Captum reference (shared/reference/captum-minilm-meanpool).</summary>
    public static readonly string[] SeedTexts =
    [
        "This movie is superb",
        "A noisy, hideous, and viciously cumbersome movie",
        "It's a heartfelt film about love, loss, and legacy",
    ];

    /// <summary>The figures: 16, 128 and 512 tokens x 50 steps, 8 concurrent, Predict over 256 texts.</summary>
    public static TimingSettings FullSettings { get; } = new([16, 128, 512], 50, 10, 8, 128, 256);

    /// <summary>The CPU side of a full run, for comparison (fewer repeats: CPU is slow at 512 tokens).</summary>
    public static TimingSettings CpuSettings { get; } = new([16, 128, 512], 50, 2, 8, 128, 256);

    /// <summary>The dry run on a small CPU machine: every code path, little work.</summary>
    public static TimingSettings QuickSettings { get; } = new([16, 64], 8, 1, 2, 32, 16);

    private const string Filler =
        "the film opens slowly but the cast is strong and the story builds with care while the music and the " +
        "photography carry long scenes of quiet drama that some viewers will find moving and others merely long ";

    /// <summary>Loads the default model with the given provider preference into a registry of its own.</summary>
    public static async Task<ModelRegistry> LoadAsync(string cache, string provider, ILoggerFactory log, bool tf32 = false, int maxGpuRunMemoryMB = 0)
    {
        var options = Options.Create(new BertIgOptions
        {
            CacheDirectory = cache,
            ExecutionProvider = provider,
            CudaTf32 = tf32,
            Limits = new BertIgLimitsOptions { MaxGpuRunMemoryMB = maxGpuRunMemoryMB },
        });
        var registry = new ModelRegistry(options, log);
        try
        {
            await registry.LoadAsync();
            return registry;
        }
        catch
        {
            registry.Dispose();
            throw;
        }
    }

    /// <summary>Explains the seed texts on both models and reports the largest difference relative to the CPU's largest attribution.</summary>
    public static async Task<JsonObject> CompareAsync(ExplainerModel cuda, ExplainerModel cpu)
    {
        var texts = new JsonArray();
        var worst = 0.0;
        foreach (var text in SeedTexts)
        {
            var request = new ExplainRequestOptions { Text = text };
            var onCuda = await cuda.ExplainAsync(request);
            var onCpu = await cpu.ExplainAsync(request);
            var scale = onCpu.Tokens.Max(t => Math.Abs(t.Attribution));
            var diff = onCuda.Tokens.Zip(onCpu.Tokens).Max(p => Math.Abs(p.First.Attribution - p.Second.Attribution));
            var logitDiff = onCuda.Prediction.Logits.Zip(onCpu.Prediction.Logits).Max(p => Math.Abs(p.First - p.Second));
            var relative = diff / scale;
            worst = Math.Max(worst, relative);
            texts.Add(new JsonObject
            {
                ["text"] = text,
                ["tokens"] = onCpu.Tokens.Count,
                ["label_cuda"] = onCuda.Prediction.Label,
                ["label_cpu"] = onCpu.Prediction.Label,
                ["max_abs_diff"] = diff,
                ["max_rel_diff"] = relative,
                ["max_logit_abs_diff"] = logitDiff,
                ["delta_cuda"] = onCuda.ConvergenceDelta,
                ["delta_cpu"] = onCpu.ConvergenceDelta,
                ["top_token_cuda"] = onCuda.Tokens.MaxBy(t => Math.Abs(t.Attribution))!.Token,
                ["top_token_cpu"] = onCpu.Tokens.MaxBy(t => Math.Abs(t.Attribution))!.Token,
            });
        }

        return new JsonObject
        {
            ["definition"] = "max over tokens |a_cuda - a_cpu| / max over tokens |a_cpu|, GL-50, PAD baseline",
            ["max_rel_diff"] = worst,
            ["within_1e-4"] = worst <= 1e-4,
            ["texts"] = texts,
        };
    }

    /// <summary>Times single explanations per length, concurrent explanations and Predict (medians after a warm-up).</summary>
    public static async Task<JsonObject> TimeAsync(ExplainerModel model, TimingSettings settings)
    {
        var singles = new JsonArray();
        foreach (var length in settings.Lengths.Where(l => l <= model.MaxTokens))
        {
            var text = TextOfLength(model, length);
            var oneRun = new ExplainRequestOptions { Text = text, Steps = settings.Steps, InternalBatchSize = settings.Steps };
            var byDefault = oneRun with { InternalBatchSize = 0 };
            var forwardRows = Enumerable.Repeat(text, settings.Steps).ToArray();
            singles.Add(new JsonObject
            {
                ["tokens"] = length,
                ["steps"] = settings.Steps,
                ["explain_one_run_ms"] = await MedianMs(settings.Repeats, () => model.ExplainAsync(oneRun)),
                ["explain_default_batch_ms"] = await MedianMs(settings.Repeats, () => model.ExplainAsync(byDefault)),
                ["forward_same_rows_ms"] = await MedianMs(settings.Repeats, () => model.PredictAsync(forwardRows)),
            });
        }

        var concurrentText = TextOfLength(model, settings.ConcurrentLength);
        var concurrent = new ExplainRequestOptions { Text = concurrentText, Steps = settings.Steps };
        var concurrentMs = await MedianMs(Math.Max(1, settings.Repeats / 3), () =>
            Task.WhenAll(Enumerable.Range(0, settings.Concurrent).Select(_ => model.ExplainAsync(concurrent))));

        var predictTexts = Enumerable.Range(0, settings.PredictTexts)
            .Select(i => TextOfLength(model, 16 + i * 7 % Math.Max(1, settings.ConcurrentLength - 16)))
            .ToArray();
        var predictMs = await MedianMs(Math.Max(1, settings.Repeats / 3), () => model.PredictAsync(predictTexts));

        return new JsonObject
        {
            ["provider"] = model.ExecutionProvider,
            ["note"] = "ms are medians after one warm-up; explain_one_run uses internal_batch_size = steps, explain_default_batch the engine default",
            ["single"] = singles,
            ["concurrent"] = new JsonObject
            {
                ["explanations"] = settings.Concurrent,
                ["tokens"] = settings.ConcurrentLength,
                ["steps"] = settings.Steps,
                ["wall_ms"] = concurrentMs,
                ["explanations_per_s"] = Math.Round(settings.Concurrent / (concurrentMs / 1000.0), 2),
            },
            ["predict"] = new JsonObject
            {
                ["texts"] = settings.PredictTexts,
                ["tokens_min"] = 16,
                ["tokens_max"] = settings.ConcurrentLength,
                ["wall_ms"] = predictMs,
                ["texts_per_s"] = Math.Round(settings.PredictTexts / (predictMs / 1000.0), 1),
            },
        };
    }

    /// <summary>A text of filler words that encodes to exactly <paramref name="tokens"/> tokens ([CLS] and [SEP] included).</summary>
    public static string TextOfLength(ExplainerModel model, int tokens)
    {
        var words = Filler.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var picked = new List<string>();
        for (var i = 0; Count() < tokens; i++)
        {
            picked.Add(words[i % words.Length]);
        }

        while (Count() > tokens)
        {
            picked.RemoveAt(picked.Count - 1);
        }

        return string.Join(' ', picked);

        int Count() => model.Tokenizer.CountTokens(string.Join(' ', picked)) + 2;
    }

    /// <summary>Median wall time of <paramref name="repeats"/> runs of <paramref name="work"/> after one warm-up, in ms.</summary>
    internal static async Task<double> MedianMs<T>(int repeats, Func<Task<T>> work)
    {
        await work(); // warm-up: allocations, kernels, cuDNN/cuBLAS handles
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            await work();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return Math.Round(times[repeats / 2], 2);
    }
}
