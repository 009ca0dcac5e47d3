using System.Diagnostics;
using System.Text;

namespace BertIgGrpc.Engine.Tests.Tools;

/// <summary>
/// tools/gpu-check's whole device sequence, run here on CPU (dry-run.sh): pack, parts of at most 60 MiB checked against
/// the manifest one call at a time, reassembly, unpacking and the check's report. Keeps the kit working between the
/// rare sessions that are lent a GPU.
/// </summary>
public sealed class GpuCheckKitTests
{
    [Fact]
    public void DryRun_PacksSendsAndRunsTheCheckOnCpu_ReportIsOk()
    {
        var root = RepoRoot();
        var start = new ProcessStartInfo("/bin/bash", [Path.Combine(root, "tools", "gpu-check", "dry-run.sh")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(15)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dry-run.sh did not finish in 15 minutes.\n{Tail(output)}");
        }

        process.WaitForExit();
        var text = output.ToString();
        Assert.True(process.ExitCode == 0, $"dry-run.sh exited with {process.ExitCode}.\n{Tail(output)}");
        Assert.Contains("dry-run: ok", text);
        // CUDA's load was attempted and reported (on a machine without CUDA: why it did not load) rather than failing.
        Assert.Contains("\"cuda_loaded\":", text);
        Assert.Contains("\"cpu_model_provider\": \"CPUExecutionProvider\"", text);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BertIgGrpc.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException($"No BertIgGrpc.sln above {AppContext.BaseDirectory}.");
    }

    private static string Tail(StringBuilder output)
    {
        lock (output)
        {
            var text = output.ToString();
            return text.Length <= 6000 ? text : text[^6000..];
        }
    }
}
