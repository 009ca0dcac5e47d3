using BertIgGrpc.Cli;
using BertIgGrpc.Cli.Commands;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;

namespace BertIgGrpc.Client.Tests;

/// <summary>Runs the `bertig` entry point in-process with a captured console.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        var code = await BertigApp.RunAsync(args, console);
        return (code, writer.ToString());
    }
}

public sealed class CliTests
{
    [Fact]
    public async Task Explain_UnknownMethod_FailsNamingOptionWithoutServer()
    {
        var (code, output) = await CliRunner.RunAsync("explain", "text", "--method", "simpson", "--server", "http://127.0.0.1:1");

        Assert.NotEqual(0, code);
        Assert.Contains("--method", output, StringComparison.Ordinal);
        Assert.Contains("riemann_trapezoid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_BadServerUrl_FailsNamingOption()
    {
        var (code, output) = await CliRunner.RunAsync("explain", "text", "--server", "ftp://host");

        Assert.NotEqual(0, code);
        Assert.Contains("--server", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_BlankText_ReturnsInvalidRequestCodeNamingField()
    {
        var (code, output) = await CliRunner.RunAsync("explain", "  ", "--server", "http://127.0.0.1:1");

        Assert.Equal(ServerCommand<ServerSettings>.InvalidRequestExitCode, code);
        Assert.Contains("text", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_NoText_FailsSayingWhereTextsComeFrom()
    {
        var (code, output) = await CliRunner.RunAsync("explain", "--server", "http://127.0.0.1:1");

        Assert.NotEqual(0, code);
        Assert.Contains("- to read standard input, or --file PATH", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_MissingFile_FailsNamingOptionAndPathWithoutServer()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"bertig-missing-{Guid.NewGuid():N}.txt");

        var (code, output) = await CliRunner.RunAsync("explain", "--file", missing, "--server", "http://127.0.0.1:1");

        Assert.Equal(ExplainCommand.InputErrorExitCode, code);
        Assert.Contains($"--file: '{missing}' does not exist", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--top", "0", "--top")]
    [InlineData("--sort", "loudest", "magnitude")]
    public async Task Explain_BadListingOption_FailsNamingIt(string option, string value, string expected)
    {
        var (code, output) = await CliRunner.RunAsync("explain", "text", option, value, "--server", "http://127.0.0.1:1");

        Assert.NotEqual(0, code);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_HtmlWithSeveralTexts_FailsNamingOption()
    {
        var (code, output) = await CliRunner.RunAsync("explain", "one", "two", "--html", "out.html", "--server", "http://127.0.0.1:1");

        Assert.NotEqual(0, code);
        Assert.Contains("--html", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_PackedAsTool_InstallsAndRunsAsBertig()
    {
        var dir = Directory.CreateTempSubdirectory("bertig-tool-").FullName;
        try
        {
            // What the README tells users: pack the project, install the package from that folder, run `bertig`.
            var packages = Path.Combine(dir, "packages");
            var tools = Path.Combine(dir, "tools");
            var limit = TimeSpan.FromMinutes(5);
            var pack = await CliProcess.RunAsync(
                CliProcess.Dotnet, ["pack", CliProcess.CliProjectDir, "--no-build", "-c", CliProcess.Configuration, "-o", packages], null, limit);
            Assert.True(pack.ExitCode == 0, pack.Stdout + pack.Stderr);
            Assert.Single(Directory.GetFiles(packages, "BertIgGrpc.Cli.*.nupkg"));

            var install = await CliProcess.RunAsync(
                CliProcess.Dotnet, ["tool", "install", "--tool-path", tools, "--add-source", packages, "--ignore-failed-sources", "BertIgGrpc.Cli"], null, limit, dir);
            Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);

            var help = await CliProcess.RunAsync(Path.Combine(tools, "bertig"), ["explain", "--help"], null, TimeSpan.FromMinutes(1));
            Assert.True(help.ExitCode == 0, help.Stdout + help.Stderr);
            Assert.Contains("bertig explain", help.Stdout, StringComparison.Ordinal);
            Assert.Contains("--top", help.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("riemann_left", IntegrationMethod.RiemannLeft)]
    [InlineData("GAUSS_LEGENDRE", IntegrationMethod.GaussLegendre)]
    [InlineData("riemann-trapezoid", IntegrationMethod.RiemannTrapezoid)]
    public void TryParseName_CaptumSpelling_ParsesMethod(string text, IntegrationMethod expected)
    {
        Assert.True(ExplainSettings.TryParseName<IntegrationMethod>(text, out var method));
        Assert.Equal(expected, method);
    }

    [Fact]
    public void Validate_UnspecifiedMethodOrBaseline_IsNotAChoiceAndNotListed()
    {
        Assert.False(ExplainSettings.TryParseName<IntegrationMethod>("unspecified", out _));
        Assert.False(ExplainSettings.TryParseName<Baseline>("UNSPECIFIED", out _));

        var error = new ExplainSettings { Texts = ["t"], Baseline = "unspecified" }.Validate();

        Assert.False(error.Successful);
        Assert.Equal("--baseline: 'unspecified' is not one of pad, mask, unk, zero.", error.Message);
    }

    [Fact]
    public void ToExplainOptions_NumericTarget_IsIndexAndWordTarget_IsLabel()
    {
        var byIndex = new ExplainSettings { Texts = ["t"], Target = "1" }.ToExplainOptions();
        var byLabel = new ExplainSettings { Texts = ["t"], Target = "positive" }.ToExplainOptions();

        Assert.Equal((1, (string?)null), (byIndex.TargetIndex, byIndex.TargetLabel));
        Assert.Equal(((int?)null, "positive"), (byLabel.TargetIndex, byLabel.TargetLabel));
    }

    [Fact]
    public void ResolveServer_NoOption_UsesEnvironmentThenDefault()
    {
        var previous = Environment.GetEnvironmentVariable(ServerSettings.ServerEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ServerSettings.ServerEnvironmentVariable, "http://10.1.2.3:9000");
            Assert.Equal(new Uri("http://10.1.2.3:9000"), new ServerSettings().ResolveServer());
            Assert.Equal(new Uri("http://127.0.0.2:1"), new ServerSettings { Server = "http://127.0.0.2:1" }.ResolveServer());
            Environment.SetEnvironmentVariable(ServerSettings.ServerEnvironmentVariable, null);
            Assert.Equal(new Uri(BertIgClientOptions.DefaultAddress), new ServerSettings().ResolveServer());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ServerSettings.ServerEnvironmentVariable, previous);
        }
    }
}
