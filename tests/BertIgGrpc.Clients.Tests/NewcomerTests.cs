namespace BertIgGrpc.Clients.Tests;

/// <summary>
/// The README as a newcomer reads it: <c>tools/newcomer-test.sh</c> clones the repository into a temporary folder and
/// runs the README's commands and client examples there as written (setup, server, dashboard, buf curl, CLI, C#,
/// TypeScript and Python examples). It reuses the NuGet, npm and model caches, so it costs builds, not downloads.
/// </summary>
public sealed class NewcomerTests
{
    [Fact]
    public void Readme_CommandsAndExamplesFromACleanClone_AllWork()
    {
        var (exitCode, output) = ExternalSuite.Run(ExternalSuite.RepoRoot, "tools/newcomer-test.sh", TimeSpan.FromMinutes(30));

        Assert.True(exitCode == 0, $"tools/newcomer-test.sh exited with {exitCode}:\n{ExternalSuite.Tail(output)}");
        Assert.Contains("every README command and example worked", output);
    }
}
