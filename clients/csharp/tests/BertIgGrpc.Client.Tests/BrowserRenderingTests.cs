using BertIgGrpc.Cli.Rendering;
using BertIgGrpc.Contracts.V1;

namespace BertIgGrpc.Client.Tests;

/// <summary>The HTML page in a real browser: hostile tokens stay text.</summary>
public sealed class BrowserRenderingTests
{
    [ChromiumFact]
    public async Task Render_HostileTokens_StayTextInBrowser()
    {
        var result = new ExplainResult
        {
            Model = "m",
            TargetLabel = "positive",
            Prediction = new Prediction { Label = "positive", Probability = 0.9 },
        };
        foreach (var token in new[] { "<script>document.body.setAttribute('data-pwned','script')</script>", "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">", "superb" })
        {
            result.Tokens.Add(new TokenAttribution { Token = token, AttributionNormalized = 0.5 });
        }

        var path = Path.Combine(Path.GetTempPath(), $"bertig-xss-{Guid.NewGuid():N}.html");
        try
        {
            await File.WriteAllTextAsync(path, ExplainHtmlRenderer.Render(result));

            var dom = await Chromium.DumpDomAsync(path);

            Assert.Contains(">superb</mark>", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("data-pwned=", dom, StringComparison.Ordinal); // set only if a token ran as script
            Assert.DoesNotContain("<img", dom, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;", dom, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
