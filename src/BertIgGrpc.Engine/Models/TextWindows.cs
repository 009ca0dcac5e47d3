namespace BertIgGrpc.Engine.Models;

/// <summary>One window of a long text: its text tokens <c>[TokenStart, TokenEnd)</c>, counted without the leading [CLS].</summary>
/// <param name="TokenStart">First text token of the window.</param>
/// <param name="TokenEnd">One past the last text token.</param>
internal readonly record struct TextWindow(int TokenStart, int TokenEnd)
{
    /// <summary>Gets the number of text tokens in the window.</summary>
    public int Count => TokenEnd - TokenStart;
}

/// <summary>
/// The layout of <see cref="Attribution.LongTextMode.Windows"/>: where windows start and end over a text's tokens, and
/// which window each token's attribution is taken from.
/// </summary>
internal static class TextWindows
{
    /// <summary>The stride when a request leaves it at 0: half a window (at least 1 token).</summary>
    public static int DefaultStride(int width) => Math.Max(1, width / 2);

    /// <summary>
    /// Windows of at most <paramref name="width"/> text tokens covering all <c>continues.Count</c> tokens, in text
    /// order, each starting at most <paramref name="stride"/> tokens after the previous one and never after its end (so
    /// consecutive windows overlap or touch). Windows start and end on word boundaries (a word is a token and its
    /// <c>##</c> pieces) unless a word would leave no room; the last window ends at the text's end and starts as early as
    /// that allows, so it is (nearly) as wide as the others.
    /// </summary>
    /// <param name="continues">Per text token: whether it continues the previous token's word (a <c>##</c> piece).</param>
    /// <param name="width">Text tokens per window (the model's limit less [CLS] and [SEP]).</param>
    /// <param name="stride">Tokens between window starts; 0 &lt; stride &lt; width.</param>
    public static IReadOnlyList<TextWindow> Layout(IReadOnlyList<bool> continues, int width, int stride)
    {
        ArgumentNullException.ThrowIfNull(continues);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        var n = continues.Count;
        var windows = new List<TextWindow>();
        var start = 0;
        var previousEnd = 0;
        while (true)
        {
            if (start + width >= n)
            {
                windows.Add(new TextWindow(start, n));
                return windows;
            }

            // End before a word start, unless the window would then add no token to the previous one.
            var end = WordStartAtOrBefore(continues, start + width, Math.Max(start, previousEnd) + 1);
            previousEnd = end;
            windows.Add(new TextWindow(start, end));
            int next;
            if (start + stride + width >= n)
            {
                // The last window: it ends at n, so it starts at n - width, or at the next word start after it within the stride.
                next = WordStartAtOrAfter(continues, n - width, Math.Min(end, start + stride));
            }
            else
            {
                next = WordStartAtOrBefore(continues, start + stride, start + 1);
            }

            start = Math.Min(next, end);
        }
    }

    /// <summary>
    /// Per token, the index of the window it is taken from: among the windows holding it, the one where it is farthest
    /// from an edge (its distance is the smaller of the tokens before it and after it in the window); on a tie, the earlier window.
    /// </summary>
    public static int[] Owners(IReadOnlyList<TextWindow> windows, int tokens)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var owners = new int[tokens];
        var best = new int[tokens];
        Array.Fill(owners, -1);
        for (var w = 0; w < windows.Count; w++)
        {
            var (start, end) = (windows[w].TokenStart, windows[w].TokenEnd);
            for (var i = start; i < end; i++)
            {
                var distance = Math.Min(i - start, end - 1 - i);
                if (owners[i] < 0 || distance > best[i])
                {
                    owners[i] = w;
                    best[i] = distance;
                }
            }
        }

        if (Array.IndexOf(owners, -1) is var missing and >= 0)
        {
            throw new ArgumentException($"Token {missing} is in no window.", nameof(windows));
        }

        return owners;
    }

    // The last word start in [min, at] (at itself when it starts a word), or at when there is none.
    private static int WordStartAtOrBefore(IReadOnlyList<bool> continues, int at, int min)
    {
        for (var i = at; i >= min; i--)
        {
            if (i >= continues.Count || !continues[i])
            {
                return i;
            }
        }

        return at;
    }

    // The first word start in [at, max], or at when there is none.
    private static int WordStartAtOrAfter(IReadOnlyList<bool> continues, int at, int max)
    {
        for (var i = at; i <= max; i++)
        {
            if (i >= continues.Count || !continues[i])
            {
                return i;
            }
        }

        return at;
    }
}
