using System.Xml.Linq;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// What the image promises, checked without Docker (no engine and no registry for base images here): the Dockerfile
/// passes a linter, its runtime stages run as a non-root user and listen on 0.0.0.0 on the exposed ports, and the SDK
/// container settings in the server project say the same.
/// </summary>
public sealed class ContainerImageTests
{
    private const string GrpcUrl = "Kestrel__Endpoints__Grpc__Url";
    private const string HttpUrl = "Kestrel__Endpoints__Http__Url";
    private const string CacheDirectory = "BertIg__CacheDirectory";

    [Fact]
    public async Task Dockerfile_Linted_ReportsNoProblem()
    {
        var lintDir = Path.Combine(Repo.PathOf("tests/BertIgGrpc.Deployment.Tests"), "dockerfile-lint");
        if (!File.Exists(Path.Combine(lintDir, "node_modules", ".package-lock.json")))
        {
            var install = await Cli.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], lintDir, TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, $"npm ci failed:\n{install.Output}");
        }

        var lint = await Cli.RunAsync("node", [Path.Combine(lintDir, "node_modules", "dockerfile-utils", "bin", "dockerfile-utils"), "lint", Repo.PathOf("Dockerfile")], lintDir, TimeSpan.FromMinutes(1));
        Assert.True(lint.ExitCode == 0 && lint.Output.Trim().Length == 0, $"dockerfile-utils lint Dockerfile:\n{lint.Output}");
    }

    [Fact]
    public void Dockerfile_DefaultTarget_IsTheCpuRuntimeOnAspNet()
    {
        var stages = Dockerfile.Load();
        var last = stages[^1];
        Assert.Equal("runtime", last.Name);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", last.BaseImage, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", stages.Single(s => s.Name == "build").BaseImage, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_CudaTarget_IsOnTheCuda13CudnnRuntime()
    {
        var cuda = Dockerfile.Load().Single(s => s.Name == "cuda");
        // ONNX Runtime's CUDA provider in the GPU package links libcudart.so.13 and loads cuDNN 9.
        Assert.Matches(@"^nvidia/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu\d", cuda.BaseImage);
        Assert.Contains(cuda.All("COPY"), c => c.StartsWith("--from=aspnet /usr/share/dotnet", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("runtime", "publish-cpu")]
    [InlineData("cuda", "build")]
    public void Dockerfile_RuntimeStage_RunsAsNonRootOnAllInterfacesWithTheCacheOnAVolume(string stageName, string publishStage)
    {
        var stage = Dockerfile.Load().Single(s => s.Name == stageName);
        var env = stage.Environment;

        Assert.Equal("1654", stage.All("USER").Last()); // numeric, so runAsNonRoot can verify it
        Assert.Equal("/app", stage.All("WORKDIR").Last());
        Assert.Equal("[\"dotnet\", \"BertIgGrpc.Server.dll\"]", stage.All("ENTRYPOINT").Single());
        Assert.Contains(stage.All("COPY"), c => c.StartsWith($"--from={publishStage} /app/publish/", StringComparison.Ordinal));

        var exposed = stage.All("EXPOSE").SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).Order().ToArray();
        var urls = new[] { new Uri(env[GrpcUrl]), new Uri(env[HttpUrl]) };
        Assert.All(urls, u => Assert.Equal("0.0.0.0", u.Host));
        Assert.Equal(urls.Select(u => u.Port).Order().ToArray(), exposed);
        Assert.Equal("", env["ASPNETCORE_HTTP_PORTS"]);

        Assert.Equal(env[CacheDirectory], stage.All("VOLUME").Single());
    }

    [Fact]
    public void ContainerSupport_InTheServerProject_MatchesTheDockerfileRuntimeStage()
    {
        var project = XDocument.Load(Repo.PathOf("src/BertIgGrpc.Server/BertIgGrpc.Server.csproj"));
        string Property(string name) => project.Descendants(name).Single().Value;
        var runtime = Dockerfile.Load().Single(s => s.Name == "runtime");

        Assert.Equal("bertig-server", Property("ContainerRepository"));
        Assert.Equal(runtime.All("USER").Last(), Property("ContainerUser"));
        Assert.Equal(runtime.All("WORKDIR").Last(), Property("ContainerWorkingDirectory"));
        Assert.EndsWith("-" + Property("ContainerFamily"), runtime.BaseImage, StringComparison.Ordinal);

        var ports = project.Descendants("ContainerPort").Select(p => int.Parse(p.Attribute("Include")!.Value)).Order();
        var exposed = runtime.All("EXPOSE").SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).Order();
        Assert.Equal(exposed, ports);

        var env = project.Descendants("ContainerEnvironmentVariable")
            .ToDictionary(e => e.Attribute("Include")!.Value, e => e.Attribute("Value")!.Value);
        Assert.Equal(runtime.Environment.OrderBy(kv => kv.Key), env.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void DockerfileParser_JoinsContinuationsAndSubstitutesGlobalArgs()
    {
        var stages = Dockerfile.Parse("""
            ARG TAG=1.2
            FROM example/base:${TAG} AS one
            # a comment
            ENV A=1 \
                B="two words"
            FROM one
            USER 7
            """);
        Assert.Equal(2, stages.Count);
        Assert.Equal("example/base:1.2", stages[0].BaseImage);
        Assert.Equal("one", stages[0].Name);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "two words" }, stages[0].Environment);
        Assert.Equal("7", stages[1].All("USER").Single());
    }
}
