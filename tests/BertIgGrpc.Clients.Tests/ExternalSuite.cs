using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace BertIgGrpc.Clients.Tests;

/// <summary>Runs another language's test suite as a child process and reports its output on failure.</summary>
internal static class ExternalSuite
{
    public static string RepoRoot { get; } = Metadata("RepoRoot");

    private static string Configuration { get; } = Metadata("Configuration");

    /// <summary>The server the suites start (built before this project by its project reference).</summary>
    public static string ServerDll { get; } =
        Path.Combine(RepoRoot, "src", "BertIgGrpc.Server", "bin", Configuration, "net10.0", "BertIgGrpc.Server.dll");

    /// <summary>One model cache for all suites of this run, so the default model is built once.</summary>
    public static string CacheDirectory { get; } = Directory.CreateTempSubdirectory("bertig-clients-cache-").FullName;

    /// <summary>Runs <paramref name="command"/> in <paramref name="workingDirectory"/>; fails the test with the output's tail.</summary>
    public static string Run(string workingDirectory, string command, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("/bin/bash", ["-c", command])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["BERTIG_SERVER_DLL"] = ServerDll;
        start.Environment["BERTIG_TEST_CACHE_DIR"] = CacheDirectory;
        start.Environment["CI"] = "true";
        start.Environment["NO_COLOR"] = "1";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{command}' in {workingDirectory} did not finish within {timeout}.\n{Tail(output)}");
        }

        process.WaitForExit();
        var text = Tail(output);
        Assert.True(process.ExitCode == 0, $"'{command}' in {workingDirectory} exited with {process.ExitCode}.\n{text}");
        return output.ToString();
    }

    /// <summary>Installs missing Debian packages when running as root with apt-get (as .ci/run does); otherwise fails naming them.</summary>
    public static void RequireDebianPackages(params string[] packages)
    {
        var missing = packages.Where(p => !IsInstalled(p)).ToArray();
        if (missing.Length == 0) return;
        if (Environment.UserName == "root" && File.Exists("/usr/bin/apt-get"))
        {
            Run("/", $"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {string.Join(' ', missing)}", TimeSpan.FromMinutes(15));
            return;
        }

        Assert.Fail($"These Debian packages are needed: {string.Join(' ', missing)} (sudo apt-get install {string.Join(' ', missing)}, or run .ci/run as root).");
    }

    /// <summary>Runs `npm ci` unless node_modules is already installed from the lock file.</summary>
    public static void NpmCi(string directory)
    {
        if (!File.Exists(Path.Combine(directory, "node_modules", ".package-lock.json")))
        {
            Run(directory, "npm ci --no-audit --no-fund", TimeSpan.FromMinutes(10));
        }
    }

    private static bool IsInstalled(string package)
    {
        var start = new ProcessStartInfo("dpkg", ["-s", package]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        p.WaitForExit();
        return p.ExitCode == 0 && p.StandardOutput.ReadToEnd().Contains("Status: install ok installed", StringComparison.Ordinal);
    }

    private static string Tail(StringBuilder output)
    {
        lock (output)
        {
            var s = output.ToString();
            return s.Length <= 6000 ? s : "...\n" + s[^6000..];
        }
    }

    private static string Metadata(string key)
        => typeof(ExternalSuite).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
