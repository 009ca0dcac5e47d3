using BertIgGrpc.Engine.Models;

namespace BertIgGrpc.Engine.Tests.Models;

/// <summary>The window layout of LONG_TEXT_WINDOWS and its stitching rule (each token from the window where it is farthest from an edge).</summary>
public class TextWindowsTests
{
    private static bool[] Words(int n) => new bool[n];

    [Fact]
    public void Layout_NoPieces_StrideApartAndTheLastWindowEndsTheText()
    {
        var windows = TextWindows.Layout(Words(10), width: 4, stride: 2);
        Assert.Equal([new(0, 4), new(2, 6), new(4, 8), new(6, 10)], windows);
    }

    [Fact]
    public void Layout_TextEndingBetweenStrides_LastWindowIsFullWidth()
    {
        // Starts 0, 3, then the last window is pulled back to 11 - 5 = 6 so that it is as wide as the others.
        var windows = TextWindows.Layout(Words(11), width: 5, stride: 3);
        Assert.Equal([new(0, 5), new(3, 8), new(6, 11)], windows);
    }

    [Fact]
    public void Layout_FitsOneWindow_OneWindowOfTheWholeText()
        => Assert.Equal([new TextWindow(0, 3)], TextWindows.Layout(Words(3), width: 4, stride: 2));

    [Fact]
    public void Layout_Pieces_WindowsStartAndEndOnWordBoundaries()
    {
        // Tokens 4 and 5 continue the word at 3 ("##" pieces): no window cuts through 3..5.
        var continues = Words(12);
        continues[4] = continues[5] = true;
        var windows = TextWindows.Layout(continues, width: 5, stride: 4);
        Assert.Equal([new(0, 3), new(3, 8), new(7, 12)], windows);
    }

    [Fact]
    public void Layout_WordWiderThanAWindow_CutsInsideIt()
    {
        // One word of 8 tokens and a window of 3: there is no boundary to move to, so windows cut the word.
        var continues = Words(8).Select((_, i) => i > 0).ToArray();
        var windows = TextWindows.Layout(continues, width: 3, stride: 2);
        Assert.Equal([new(0, 3), new(2, 5), new(4, 7), new(5, 8)], windows);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Layout_RandomTexts_CoverEveryTokenWithinWidthAndStride(int seed)
    {
        var random = new Random(seed);
        for (var trial = 0; trial < 200; trial++)
        {
            var n = random.Next(1, 400);
            var width = random.Next(2, 60);
            var stride = random.Next(1, width);
            var continues = Enumerable.Range(0, n).Select(i => i > 0 && random.NextDouble() < 0.3).ToArray();
            var windows = TextWindows.Layout(continues, width, stride);

            Assert.Equal(0, windows[0].TokenStart);
            Assert.Equal(n, windows[^1].TokenEnd);
            Assert.All(windows, w => Assert.InRange(w.Count, 1, width));
            for (var w = 1; w < windows.Count; w++)
            {
                Assert.InRange(windows[w].TokenStart, windows[w - 1].TokenStart + 1, Math.Min(windows[w - 1].TokenStart + stride, windows[w - 1].TokenEnd));
                Assert.True(windows[w].TokenEnd > windows[w - 1].TokenEnd);
            }

            var owners = TextWindows.Owners(windows, n);
            Assert.Equal(n, owners.Length);
        }
    }

    [Fact]
    public void Owners_EachTokenFromTheWindowWhereItIsFarthestFromAnEdge()
    {
        TextWindow[] windows = [new(0, 4), new(2, 6), new(4, 8)];
        // Token 2: distance 1 in window 0 (1 after it), 0 in window 1 -> 0. Token 3: 0 in window 0, 1 in window 1 -> 1.
        Assert.Equal([0, 0, 0, 1, 1, 2, 2, 2], TextWindows.Owners(windows, 8));
    }

    [Fact]
    public void Owners_Tie_TheEarlierWindow()
    {
        // Token 2 is 1 from an edge in both windows; tokens 1 and 3 are nearer an edge in the other one.
        Assert.Equal([0, 0, 0, 1, 1], TextWindows.Owners([new(0, 4), new(1, 5)], 5));
    }

    [Fact]
    public void Owners_TokenInNoWindow_Throws()
        => Assert.Throws<ArgumentException>(() => TextWindows.Owners([new(0, 2), new(3, 5)], 5));
}
