using System.Diagnostics;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// Debian's headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium), used to check that generated pages render and
/// that no token runs as markup. tools/setup-debian.sh (called by .ci/run) installs it.
/// </summary>
internal static class Chromium
{
    public static string Path => Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";

    public static bool Available => File.Exists(Path);

    /// <summary>Loads <paramref name="file"/> and returns the DOM after scripts (if any had run) and parsing.</summary>
    public static async Task<string> DumpDomAsync(string file) => (await RunAsync("--dump-dom", new Uri(file).AbsoluteUri)).Stdout;

    /// <summary>Renders <paramref name="file"/> at 1200x800 into <paramref name="png"/>.</summary>
    public static async Task ScreenshotAsync(string file, string png) =>
        await RunAsync($"--screenshot={png}", "--window-size=1200,800", new Uri(file).AbsoluteUri);

    private static async Task<(string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        Assert.True(Available, $"Chromium not found at {Path}: install the Debian package chromium with tools/setup-debian.sh (or set CHROMIUM_PATH).");
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Flags for running headless as root without a GPU, D-Bus or network.
        foreach (var flag in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run" })
        {
            start.ArgumentList.Add(flag);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 90 s.");
        }

        var result = (await stdout, await stderr);
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {result.Item2}");
        return result;
    }
}

/// <summary>
/// A fact that needs Chromium. Never skipped: without Chromium it fails, naming the package and the install step
/// (tools/setup-debian.sh), here and in CI alike.
/// </summary>
internal sealed class ChromiumFactAttribute : FactAttribute
{
}
