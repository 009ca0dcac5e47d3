using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Models.DefaultModel;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Benchmarks;

/// <summary>The default model (built on first use) and a text of an exact token length, shared by the benchmarks.</summary>
internal static class BenchModel
{
    /// <summary>The cache under the temp directory the benchmarks (and the server <c>grpc-load</c> starts) materialise the default model into.</summary>
    public static string CacheDirectory { get; } = Path.Combine(Path.GetTempPath(), "bertig-bench-cache");

    /// <summary>The default model's definition, materialised into <see cref="CacheDirectory"/>.</summary>
    public static ModelDefinition Definition()
        => new DefaultModelMaterializer(CacheDirectory, MiniLmSentiment.DefaultEncoderDllPath, NullLogger.Instance).Materialize().Definition;

    /// <summary>
    /// Execution provider from BERTIG_EP (auto, cuda or cpu; auto when unset) and the Predict batching wait from
    /// BERTIG_PREDICT_WAIT_MS (the engine's default when unset; negative: no sharing).
    /// </summary>
    public static RuntimeSettings Settings()
    {
        var wait = Environment.GetEnvironmentVariable("BERTIG_PREDICT_WAIT_MS");
        return new()
        {
            ExecutionProvider = Environment.GetEnvironmentVariable("BERTIG_EP") ?? "auto",
            PredictBatchWaitMs = string.IsNullOrEmpty(wait) ? RuntimeSettings.StandardPredictBatchWaitMs : double.Parse(wait, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Single-piece words, so that the text is exactly <paramref name="tokens"/> long with [CLS] and [SEP].</summary>
    public static string Text(int tokens)
    {
        string[] words = ["the", "movie", "was", "good", "and", "the", "cast", "is", "great"];
        return string.Join(' ', Enumerable.Range(0, tokens - 2).Select(i => words[i % words.Length]));
    }

    /// <summary>The machine the figures came from: cores, CPU model and the load average now.</summary>
    public static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        return $"{Environment.ProcessorCount} cores, {cpu ?? "unknown CPU"}, load average {load}";
    }
}
