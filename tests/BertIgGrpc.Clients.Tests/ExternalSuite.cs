using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace BertIgGrpc.Clients.Tests;

/// <summary>
/// Runs another language's test suite as a child process, reads the JUnit XML it writes, and asserts that exactly the
/// expected tests ran and passed (none missing, none extra, none skipped). Installs nothing: a missing Debian or npm
/// dependency fails at once, naming it and the command that installs it (<c>tools/setup-debian.sh</c>).
/// </summary>
internal static class ExternalSuite
{
    /// <summary>The install step every message points to.</summary>
    public const string SetupCommand = "tools/setup-debian.sh";

    public static string RepoRoot { get; } = Metadata("RepoRoot");

    private static string Configuration { get; } = Metadata("Configuration");

    /// <summary>The server the suites start (built before this project by its project reference).</summary>
    public static string ServerDll { get; } =
        Path.Combine(RepoRoot, "src", "BertIgGrpc.Server", "bin", Configuration, "net10.0", "BertIgGrpc.Server.dll");

    /// <summary>
    /// One model cache for all suites of this run, so the default model is built once: BERTIG_TEST_CACHE_DIR when set
    /// (kept), else a temporary folder removed when the test process exits.
    /// </summary>
    public static string CacheDirectory { get; } = CreateCacheDirectory();

    /// <summary>Fails naming every missing Debian package and the command that installs it.</summary>
    public static void RequireDebianPackages(params string[] packages)
    {
        var missing = packages.Where(p => !IsInstalled(p)).ToArray();
        Assert.True(missing.Length == 0,
            $"Debian packages missing: {string.Join(' ', missing)}. Install them with {SetupCommand} " +
            $"(or: sudo apt-get install --no-install-recommends {string.Join(' ', missing)}).");
    }

    /// <summary>Fails when <paramref name="project"/>'s node_modules was not installed from its current package-lock.json.</summary>
    public static void RequireNpmInstall(string project)
    {
        var directory = Path.Combine(RepoRoot, project);
        var lockHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(directory, "package-lock.json"))));
        var stamp = Path.Combine(directory, "node_modules", ".package-lock.sha256");
        var installed = File.Exists(stamp) ? File.ReadAllText(stamp).Trim() : "";
        Assert.True(string.Equals(installed, lockHash, StringComparison.OrdinalIgnoreCase),
            $"The npm packages of {project} are {(installed.Length == 0 ? "not installed" : "older than its package-lock.json")}. " +
            $"Install them with {SetupCommand} (it runs npm ci there and stamps the lock file's hash).");
    }

    /// <summary>
    /// Runs <paramref name="command"/> in <paramref name="project"/>, then checks the JUnit XML it wrote to
    /// <paramref name="resultsFile"/> (relative to the project) against <paramref name="expected"/>.
    /// </summary>
    public static void RunSuite(string project, string command, string resultsFile, IReadOnlyCollection<string> expected, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var directory = Path.Combine(RepoRoot, project);
        var results = Path.Combine(directory, resultsFile);
        File.Delete(results); // a stale file must not stand in for this run
        var (exitCode, output) = Run(directory, command, timeout, environment);
        Assert.True(File.Exists(results), $"'{command}' in {project} wrote no results to {resultsFile} (exit {exitCode}).\n{Tail(output)}");

        var cases = ReadJUnit(results);
        var ran = cases.Select(c => c.Name).ToList();
        var problems = new List<string>();
        problems.AddRange(expected.Except(ran).Select(n => $"did not run: {n}"));
        problems.AddRange(ran.Except(expected).Select(n => $"not in the expected list: {n}"));
        problems.AddRange(ran.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => $"ran {g.Count()} times: {g.Key}"));
        problems.AddRange(cases.Where(c => c.Outcome != "passed").Select(c => $"{c.Outcome}: {c.Name}{(c.Message is null ? "" : " (" + c.Message + ")")}"));
        if (exitCode != 0 && problems.Count == 0)
        {
            problems.Add($"exited with {exitCode} although every test passed");
        }

        Assert.True(problems.Count == 0,
            $"{project}: {cases.Count} test results, {expected.Count} expected.\n{string.Join('\n', problems)}\n--- output (tail) ---\n{Tail(output)}");
    }

    /// <summary>One test case of a JUnit XML file: its name (enclosing describe blocks first), outcome and message.</summary>
    public sealed record TestCase(string Name, string Outcome, string? Message);

    /// <summary>
    /// Reads node's and pytest's JUnit XML: a case passed when it has no failure, error or skipped child. Names are
    /// prefixed with the enclosing suites (node's describe blocks), except pytest's single root suite "pytest".
    /// </summary>
    public static IReadOnlyList<TestCase> ReadJUnit(string path)
    {
        var document = XDocument.Load(path);
        return document.Descendants("testcase").Select(testCase =>
        {
            var suites = testCase.Ancestors("testsuite").Reverse().Select(s => (string?)s.Attribute("name") ?? "").Where(n => n != "pytest");
            var name = string.Join(" > ", suites.Append((string?)testCase.Attribute("name") ?? ""));
            var outcome = testCase.Elements().FirstOrDefault(e => e.Name.LocalName is "failure" or "error" or "skipped");
            var message = outcome is null ? null : ((string?)outcome.Attribute("message") ?? outcome.Value).Split('\n')[0];
            return new TestCase(name, outcome?.Name.LocalName ?? "passed", message);
        }).ToList();
    }

    /// <summary>Runs <paramref name="command"/> with bash in <paramref name="workingDirectory"/>; fails the test when it outlives <paramref name="timeout"/>.</summary>
    public static (int ExitCode, string Output) Run(string workingDirectory, string command, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
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
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

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
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static bool IsInstalled(string package)
    {
        var start = new ProcessStartInfo("dpkg-query", ["-W", "-f=${Status}", package]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        var status = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 && status == "install ok installed";
    }

    private static string CreateCacheDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("BERTIG_TEST_CACHE_DIR");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var directory = Directory.CreateTempSubdirectory("bertig-clients-cache-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return directory;
    }

    public static string Tail(string output) => output.Length <= 6000 ? output : "...\n" + output[^6000..];

    private static string Tail(StringBuilder output)
    {
        lock (output)
        {
            return Tail(output.ToString());
        }
    }

    private static string Metadata(string key)
        => typeof(ExternalSuite).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
