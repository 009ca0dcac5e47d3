using System.Diagnostics;
using System.Reflection;

namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>
/// The contract against the protobuf ecosystem's own checks, run with the real buf CLI (the <c>@bufbuild/buf</c>
/// devDependency of clients/typescript) and the configuration in protos/buf.yaml: <c>buf lint</c> has no findings, and
/// <c>buf breaking</c> (WIRE_JSON) finds protos/ compatible with the released v1 image, and does find a break.
/// </summary>
public sealed class BufContractTests
{
    private const string ReleasedImage = "protos/released/bertig.image.json";

    private static string RepoRoot { get; } = typeof(BufContractTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    [Fact]
    public void Lint_Contract_HasNoFindings()
    {
        var (exitCode, output) = Buf(RepoRoot, "lint", "protos");

        Assert.True(exitCode == 0, $"buf lint protos (exit {exitCode}):\n{output}");
    }

    [Fact]
    public void Breaking_AgainstReleasedImage_IsCompatible()
    {
        var (exitCode, output) = Buf(RepoRoot, "breaking", "protos", "--against", ReleasedImage);

        Assert.True(exitCode == 0, $"buf breaking protos --against {ReleasedImage} (exit {exitCode}); a change that breaks the wire " +
            $"or JSON form of v1 needs a new package (bertig.v2), see README.md, Versioning:\n{output}");
    }

    [Theory]
    [InlineData("int32 n_steps = 6 [", "int32 n_steps = 46 [", "n_steps")] // wire: a new field number
    [InlineData("string text_pair = 3 [", "string second_text = 3 [", "text_pair")] // JSON: the same number under a new name
    [InlineData("  BASELINE_ZERO = 4;\n", "", "BASELINE_ZERO")] // an enum value removed
    [InlineData("  rpc Predict(PredictRequest) returns (PredictResponse);\n", "", "Predict")] // an RPC removed
    public void Breaking_IncompatibleChange_IsReported(string before, string after, string named)
    {
        var copy = Directory.CreateTempSubdirectory("bertig-protos-");
        try
        {
            CopyDirectory(Path.Combine(RepoRoot, "protos"), copy.FullName);
            var file = Path.Combine(copy.FullName, "bertig", "v1", "explainer.proto");
            var text = File.ReadAllText(file).ReplaceLineEndings("\n");
            Assert.Contains(before, text, StringComparison.Ordinal); // the edit must really happen
            File.WriteAllText(file, text.Replace(before, after, StringComparison.Ordinal));

            var (exitCode, output) = Buf(RepoRoot, "breaking", copy.FullName, "--against", ReleasedImage);

            Assert.True(exitCode != 0, $"buf breaking accepted '{before.Trim()}' -> '{after.Trim()}':\n{output}");
            Assert.Contains(named, output, StringComparison.Ordinal);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    private static (int ExitCode, string Output) Buf(string workingDirectory, params string[] arguments)
    {
        var buf = Path.Combine(RepoRoot, "clients", "typescript", "node_modules", ".bin", OperatingSystem.IsWindows() ? "buf.cmd" : "buf");
        Assert.True(File.Exists(buf), $"The buf CLI is missing ({buf}): it is an npm devDependency of clients/typescript; install it " +
            "with tools/setup-debian.sh (or: npm ci in clients/typescript).");

        var start = new ProcessStartInfo(buf) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"buf {string.Join(' ', arguments)} did not finish within 2 minutes.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var path in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, path));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target);
        }
    }
}
