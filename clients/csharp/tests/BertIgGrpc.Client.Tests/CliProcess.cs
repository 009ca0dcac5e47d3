using System.Diagnostics;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// Runs programs as separate processes with redirected standard streams, as a shell pipe would: the `bertig` build
/// output (so "is standard output a terminal" is answered by the real process), `dotnet pack`, an installed tool.
/// </summary>
internal static class CliProcess
{
    /// <summary>Gets the build configuration of this test assembly (its folder is bin/&lt;Configuration&gt;/&lt;tfm&gt;/).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>Gets the repository root (the folder holding BertIgGrpc.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BertIgGrpc.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException($"Cannot find BertIgGrpc.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Gets the CLI project folder.</summary>
    public static string CliProjectDir => Path.Combine(RepoRoot, "clients", "csharp", "src", "BertIgGrpc.Cli");

    /// <summary>Gets the `dotnet` host running these tests.</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    /// <summary>Runs the CLI's build output (built with this test project, same configuration) as `dotnet BertIgGrpc.Cli.dll ARGS`.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunBertigAsync(string? stdin, params string[] args)
    {
        var dll = Path.Combine(CliProjectDir, "bin", Configuration, "net10.0", "BertIgGrpc.Cli.dll");
        Assert.True(File.Exists(dll), $"the CLI is not built: {dll}");
        return RunAsync(Dotnet, [dll, .. args], stdin, TimeSpan.FromMinutes(3));
    }

    /// <summary>Runs <paramref name="fileName"/> and waits at most <paramref name="timeout"/>, then kills it and fails.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string fileName, IEnumerable<string> args, string? stdin, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("BERTIG_SERVER");
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } host && Environment.GetEnvironmentVariable("DOTNET_ROOT") is null)
        {
            // An installed tool's launcher looks for the runtime here when dotnet is not in a standard place.
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(host);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{fileName} {string.Join(' ', args)}` did not finish within {timeout.TotalSeconds:F0} s.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
