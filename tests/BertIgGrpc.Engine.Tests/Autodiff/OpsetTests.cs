using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Tests.Autodiff;

public class OpsetTests
{
    [Fact]
    public void Of_ReadsTheDefaultDomainOnly()
    {
        var model = new ModelProto();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 20 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx", Version = 14 });

        Assert.Equal(14, Opset.Of(model));
    }

    [Fact]
    public void Of_NoDefaultDomainImport_IsOne()
        => Assert.Equal(1, Opset.Of(new ModelProto()));

    [Theory]
    [InlineData("ReduceSum", 12, false)]
    [InlineData("ReduceSum", 13, true)]
    [InlineData("Unsqueeze", 13, true)]
    [InlineData("Squeeze", 11, false)]
    [InlineData("ReduceMean", 17, false)]
    [InlineData("ReduceMean", 18, true)]
    [InlineData("ReduceProd", 18, true)]
    public void AxesAsInput_FollowsTheOpsetThatMovedThem(string op, int opset, bool expected)
        => Assert.Equal(expected, Opset.AxesAsInput(op, opset));

    [Fact]
    public void AxesAsInput_OpWithoutAxes_ThrowsNamingIt()
        => Assert.Contains("MatMul", Assert.Throws<ArgumentException>(() => Opset.AxesAsInput("MatMul", 13)).Message);
}
