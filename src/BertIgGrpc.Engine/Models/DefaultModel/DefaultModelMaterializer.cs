using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace BertIgGrpc.Engine.Models.DefaultModel;

/// <summary>
/// Writes the default model as ordinary files under the cache directory (<c>&lt;cache&gt;/minilm-sentiment/</c>:
/// <c>model.onnx</c>, <c>vocab.txt</c>, <c>model.json</c>) so that it is a standard ONNX model anyone can open, and
/// reuses them on later starts.
/// </summary>
/// <remarks>
/// Reuse is decided without composing: <c>model.json</c> records a build key (a hash of everything the model is made
/// from: encoder package and version, head bytes, composer revision) and the sha256 of each file. A start reuses the
/// files only when the build key is the one this engine would produce and both files hash to the recorded values;
/// anything else (missing, truncated, edited, older build) is rebuilt. Files are written to a temporary name and
/// renamed, and <c>model.json</c> last, so concurrent starts never see a half-written file.
/// </remarks>
public sealed partial class DefaultModelMaterializer(string cacheDirectory, string encoderDllPath, ILogger logger)
{
    /// <summary>Bump when the composed graph changes for the same inputs, so caches from older engines are rebuilt.</summary>
    internal const int ComposerRevision = 4;

    /// <summary>Gets the model's folder, <c>&lt;cache&gt;/minilm-sentiment</c>.</summary>
    public string ModelDirectory { get; } = Path.Combine(cacheDirectory, MiniLmSentiment.Name);

    /// <summary>Gets the path of <c>model.onnx</c>.</summary>
    public string ModelPath => Path.Combine(ModelDirectory, "model.onnx");

    /// <summary>Gets the path of <c>vocab.txt</c>.</summary>
    public string VocabPath => Path.Combine(ModelDirectory, "vocab.txt");

    /// <summary>Gets the path of the model card <c>model.json</c>.</summary>
    public string CardPath => Path.Combine(ModelDirectory, "model.json");

    /// <summary>Makes sure valid files are in place (building them when needed) and returns the model definition.</summary>
    /// <param name="headJson">The head's JSON bytes; null takes the head embedded in the engine.</param>
    /// <returns>The definition and whether the files were (re)built.</returns>
    /// <exception cref="ModelLoadException">The encoder package is missing or the files cannot be written.</exception>
    public (ModelDefinition Definition, bool Built) Materialize(byte[]? headJson = null)
    {
        headJson ??= MiniLmSentiment.ReadHeadJson();
        var buildKey = BuildKey(headJson);
        var definition = new ModelDefinition
        {
            Name = MiniLmSentiment.Name,
            ModelPath = ModelPath,
            VocabPath = VocabPath,
            Labels = MiniLmSentiment.Labels,
            LowerCase = true,
            MaxTokens = MiniLmSentiment.MaxTokens,
            CutTensor = MiniLmSentiment.CutTensor,
            Output = "logits",
        };

        var problem = CheckCache(buildKey);
        if (problem is null)
        {
            Log.Reused(logger, ModelDirectory);
            return (definition, false);
        }

        Log.Building(logger, ModelDirectory, problem);
        Build(headJson, buildKey);
        return (definition, true);
    }

    /// <summary>Returns why the cached files cannot be reused, or null when they can.</summary>
    internal string? CheckCache(string buildKey)
    {
        if (!File.Exists(CardPath))
        {
            return "no model.json";
        }

        JsonNode? card;
        try
        {
            card = JsonNode.Parse(File.ReadAllBytes(CardPath));
        }
        catch (JsonException)
        {
            return "model.json is not valid JSON";
        }

        if ((string?)card?["build_key"] != buildKey)
        {
            return "model.json is from another build";
        }

        foreach (var (path, key) in new[] { (ModelPath, "sha256"), (VocabPath, "vocab_sha256") })
        {
            if (!File.Exists(path))
            {
                return $"{Path.GetFileName(path)} is missing";
            }

            if (Sha256File(path) != (string?)card?[key])
            {
                return $"{Path.GetFileName(path)} does not match its sha256 in model.json";
            }
        }

        return null;
    }

    /// <summary>The hash of everything the composed model is made from.</summary>
    internal string BuildKey(byte[] headJson) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"{MiniLmSentiment.EncoderPackage}@{MiniLmSentiment.EncoderPackageVersion}\ncomposer={ComposerRevision}\nl2={MiniLmSentiment.L2Normalize}\nhead={Convert.ToHexStringLower(SHA256.HashData(headJson))}")));

    private void Build(byte[] headJson, string buildKey)
    {
        byte[] encoder, vocab;
        try
        {
            encoder = EmbeddedResourceReader.Read(encoderDllPath, "model.onnx");
            vocab = EmbeddedResourceReader.Read(encoderDllPath, "vocab.txt");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or BadImageFormatException)
        {
            throw new ModelLoadException(MiniLmSentiment.Name,
                $"cannot read the encoder from package {MiniLmSentiment.EncoderPackage} at '{encoderDllPath}' ({ex.Message}). Restore the engine's packages (dotnet restore) or set BertIg:EnableDefaultModel to false.", ex);
        }

        var head = LinearHead.Parse(headJson);
        var model = MiniLmSentiment.Compose(encoder, head, out var opset);
        var modelSha = Convert.ToHexStringLower(SHA256.HashData(model));
        var vocabSha = Convert.ToHexStringLower(SHA256.HashData(vocab));

        // The head records the packages its training data came from; the card lists them after the encoder.
        var sources = new JsonArray(new JsonObject
        {
            ["package"] = MiniLmSentiment.EncoderPackage,
            ["registry"] = "nuget",
            ["version"] = MiniLmSentiment.EncoderPackageVersion,
            ["license"] = "MIT",
            ["use"] = "encoder (model.onnx) and vocab.txt, embedded resources of its DLL",
        });
        if (JsonNode.Parse(headJson)?["sources"] is JsonArray headSources)
        {
            foreach (var source in headSources)
            {
                sources.Add(source?.DeepClone());
            }
        }

        var card = new JsonObject
        {
            ["name"] = MiniLmSentiment.Name,
            ["labels"] = new JsonArray([.. MiniLmSentiment.Labels.Select(l => JsonValue.Create(l))]),
            ["description"] = "all-MiniLM-L6-v2, mean pooling over the attention mask, L2 normalisation, linear sentiment head trained on templated movie-review sentences built from sentiment lexicons.",
            ["format"] = "onnx",
            ["opset"] = opset,
            ["inputs"] = new JsonArray("input_ids", "attention_mask", "token_type_ids"),
            ["output"] = "logits",
            ["cut_tensor"] = MiniLmSentiment.CutTensor,
            ["max_tokens"] = MiniLmSentiment.MaxTokens,
            ["lower_case"] = true,
            ["sources"] = sources,
            ["head_sha256"] = Convert.ToHexStringLower(SHA256.HashData(headJson)),
            ["build_key"] = buildKey,
            ["sha256"] = modelSha,
            ["vocab_sha256"] = vocabSha,
        };

        try
        {
            Directory.CreateDirectory(ModelDirectory);
            WriteAtomically(ModelPath, model);
            WriteAtomically(VocabPath, vocab);
            // Last: a card that names these hashes only exists once both files are in place.
            WriteAtomically(CardPath, Encoding.UTF8.GetBytes(card.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(MiniLmSentiment.Name,
                $"cannot write the model to '{ModelDirectory}' ({ex.Message}). Set BertIg:CacheDirectory to a writable folder.", ex);
        }

        Log.Built(logger, ModelPath, modelSha);
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Default model: reusing {Directory} (sha256 checked)")]
        public static partial void Reused(ILogger logger, string directory);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Default model: building {Directory} ({Reason})")]
        public static partial void Building(ILogger logger, string directory, string reason);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Default model: wrote {Path} (sha256 {Sha256})")]
        public static partial void Built(ILogger logger, string path, string sha256);
    }
}
