using System.Text.RegularExpressions;

namespace BertIgGrpc.Clients.Tests;

/// <summary>
/// The TypeScript and Python clients' suites and the dashboard's browser tests, each against a real server
/// started by the suite itself. One class, so they run one after another (each starts a server).
/// </summary>
public sealed partial class PolyglotClientTests
{
    private static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(20);

    [Fact]
    public void TypeScriptClient_NodeTestSuite_Passes()
    {
        ExternalSuite.RequireDebianPackages("openssl"); // the security tests make their TLS certificates with it
        var dir = Path.Combine(ExternalSuite.RepoRoot, "clients", "typescript");
        ExternalSuite.NpmCi(dir);
        var output = ExternalSuite.Run(dir, "npm test", SuiteTimeout);
        AssertRanTests(NodePass().Match(output), output);
    }

    [Fact]
    public void PythonClient_Pytest_Passes()
    {
        ExternalSuite.RequireDebianPackages("openssl", "protobuf-compiler", "protobuf-compiler-grpc", "python3-grpcio", "python3-protobuf", "python3-pytest");
        var dir = Path.Combine(ExternalSuite.RepoRoot, "clients", "python");
        var output = ExternalSuite.Run(dir, "/usr/bin/python3 -m pytest -v -p no:cacheprovider", SuiteTimeout);
        AssertRanTests(PytestPass().Match(output), output);
    }

    [Fact]
    public void Dashboard_BrowserTests_Pass()
    {
        ExternalSuite.RequireDebianPackages("chromium");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(ExternalSuite.ServerDll)!, "..", "..", "..", "wwwroot", "index.html")),
            "the server build did not produce wwwroot/index.html (npm missing?)");
        var dir = Path.Combine(ExternalSuite.RepoRoot, "tests", "dashboard");
        ExternalSuite.NpmCi(dir);
        var output = ExternalSuite.Run(dir, "node --test --test-concurrency=1 dashboard.test.mjs security.test.mjs", SuiteTimeout);
        AssertRanTests(NodePass().Match(output), output);
    }

    private static void AssertRanTests(Match passed, string output)
        => Assert.True(passed.Success && int.Parse(passed.Groups[1].Value) > 0, $"the suite ran no passing test:\n{output[^Math.Min(3000, output.Length)..]}");

    [GeneratedRegex(@"^# pass (\d+)", RegexOptions.Multiline)]
    private static partial Regex NodePass();

    [GeneratedRegex(@"(\d+) passed")]
    private static partial Regex PytestPass();
}
