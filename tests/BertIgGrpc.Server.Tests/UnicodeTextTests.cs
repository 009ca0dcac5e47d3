using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Server.Tests;

/// <summary>The server process tokenizes like the engine does in isolation (culture data available, accents stripped).</summary>
[Collection(ServerCollection.Name)]
public sealed class UnicodeTextTests(ServerFixture server)
{
    [Fact]
    public async Task ExplainUnary_AccentedWords_AreStrippedNotUnknown()
    {
        const string text = "Héllo café, this movie is superb";
        var result = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest { Text = text, NSteps = 4 })).Result;

        var tokens = result.Tokens.Select(t => t.Token).ToList();
        Assert.DoesNotContain("[UNK]", tokens);
        Assert.Contains("hello", tokens);
        Assert.Contains("cafe", tokens);
        var cafe = result.Tokens.First(t => t.Token == "cafe");
        Assert.Equal("café", text[cafe.Start..cafe.End]);
    }
}
