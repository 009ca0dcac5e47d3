using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tokenization;

namespace BertIgGrpc.Engine.Tests.Tokenization;

/// <summary>The real all-MiniLM-L6-v2 vocabulary, read out of the NuGet package's DLL into a temporary file once.</summary>
internal static class MiniLmVocab
{
    private static readonly Lazy<string> LazyPath = new(() =>
    {
        var bytes = EmbeddedResourceReader.Read(Models.MiniLm.DllPath, "vocab.txt");
        var path = Path.Combine(Path.GetTempPath(), $"bertig-minilm-vocab-{Environment.ProcessId}.txt");
        File.WriteAllBytes(path, bytes);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    });

    private static readonly Lazy<BertTextTokenizer> LazyTokenizer = new(() => BertTextTokenizer.Create(VocabPath, lowerCase: true));

    public static string VocabPath => LazyPath.Value;

    public static BertTextTokenizer Tokenizer => LazyTokenizer.Value;
}
