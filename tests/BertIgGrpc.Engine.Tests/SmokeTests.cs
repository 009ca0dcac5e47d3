using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Models;

namespace BertIgGrpc.Engine.Tests;

public class EmbeddedResourceReaderTests
{
    private static string MiniLmDll => MiniLm.DllPath;

    [Fact]
    public void MiniLmDll_ListsModelAndVocab()
    {
        var names = EmbeddedResourceReader.List(MiniLmDll);
        Assert.Contains(names, n => n.EndsWith("model.onnx", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("vocab.txt", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_Vocab_StartsWithPadToken()
    {
        var vocab = System.Text.Encoding.UTF8.GetString(EmbeddedResourceReader.Read(MiniLmDll, "vocab.txt"));
        Assert.StartsWith("[PAD]", vocab);
    }

    [Fact]
    public void Read_MissingResource_ThrowsNamingIt()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => EmbeddedResourceReader.Read(MiniLmDll, "nope.bin"));
        Assert.Contains("nope.bin", ex.Message);
    }
}
