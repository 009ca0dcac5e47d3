using BertIgGrpc.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace BertIgGrpc.Server.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task Run_ModelCannotBeLoaded_StopsWithOneLogLineNamingModelAndNonZeroExitCode()
    {
        var logs = new ListLoggerProvider();
        var missing = Path.Combine(Path.GetTempPath(), "bertig-missing-" + Guid.NewGuid().ToString("N"));
        await using var app = ServerHost.Create(ServerHost.FreePort(), ServerHost.FreePort(),
        [
            $"--BertIg:CacheDirectory={missing}",
            "--BertIg:EnableDefaultModel=false",
            "--BertIg:Models:0:Name=broken-model",
            $"--BertIg:Models:0:Path={Path.Combine(missing, "model.onnx")}",
            $"--BertIg:Models:0:Vocab={Path.Combine(missing, "vocab.txt")}",
            "--BertIg:Models:0:Labels:0=no",
            "--BertIg:Models:0:Labels:1=yes",
        ], logs);

        var exitCode = await app.RunBertIgServerAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.NotEqual(0, exitCode);
        var critical = Assert.Single(logs.Entries, e => e.Level == LogLevel.Critical);
        Assert.Contains("broken-model", critical.Message);
        Assert.Null(critical.Exception); // the line explains itself; no stack trace in its place
    }
}
