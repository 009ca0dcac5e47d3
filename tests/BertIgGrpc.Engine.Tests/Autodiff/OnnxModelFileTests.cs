using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Tests.Autodiff;

public class OnnxModelFileTests
{
    [Fact]
    public void Parse_ExternalDataInitializer_IsRefusedWithAdvice()
    {
        var model = new TestGraph().Input("x", 2).Weight("w", [2]).Node("Mul", ["x", "w"], ["y"]).Output("y").Build();
        var w = model.Graph.Initializer[0];
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var ex = Assert.Throws<OnnxGraphException>(() => OnnxModelFile.Parse(OnnxModelFile.ToBytes(model), "m.onnx"));
        Assert.Contains("external data", ex.Message);
        Assert.Contains("'w'", ex.Message);
    }

    [Fact]
    public void Parse_Garbage_IsRefusedNamingTheSource()
    {
        var ex = Assert.Throws<OnnxGraphException>(() => OnnxModelFile.Parse([1, 2, 3, 4, 5, 6, 7, 8], "junk.onnx"));
        Assert.Contains("junk.onnx", ex.Message);
    }

    [Fact]
    public void SaveAndLoad_RoundTripsBytes()
    {
        var model = new TestGraph().Input("x", 2).Weight("w", [2]).Node("Mul", ["x", "w"], ["y"]).Output("y").Build();
        var path = Path.Combine(Path.GetTempPath(), $"bertig-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Save(model, path);
            Assert.Equal(OnnxModelFile.ToBytes(model), OnnxModelFile.ToBytes(OnnxModelFile.Load(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingPath()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => OnnxModelFile.Load("/nonexistent/model.onnx"));
        Assert.Contains("/nonexistent/model.onnx", ex.Message);
    }
}
