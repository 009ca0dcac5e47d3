using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace BertIgGrpc.Clients.Tests;

/// <summary>
/// The packages as users get them: <c>tools/pack-clients.sh</c> packs the C# library and its contracts, the
/// <c>bertig</c> .NET tool, the npm package and the Python wheel and sdist; each is installed into a clean temporary
/// project (its own NuGet packages folder, an empty npm project, a venv) and the client README's example runs against
/// the real server. Nothing comes from the repository's build outputs.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class PackageInstallTests(PackagesFixture packages)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    private static readonly string[] NuGetIds = ["BertIgGrpc.Contracts", "BertIgGrpc.Client", "BertIgGrpc.Cli"];

    [Fact]
    public void AllPackages_CarryTheVersionOfTheVersionFileAndOneRepositoryUrl()
    {
        var v = packages.Version;
        var versions = new Dictionary<string, string?>();
        var urls = new Dictionary<string, string?>();
        foreach (var id in NuGetIds)
        {
            var metadata = NuspecMetadata(packages.Package($"{id}.{v}.nupkg"), id);
            versions[id] = metadata.Elements().Single(e => e.Name.LocalName == "version").Value;
            urls[id] = (string?)metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("url");
        }

        var npm = JsonDocument.Parse(PackagesFixture.TarGzFiles(packages.Package($"bertig-client-{v}.tgz"))["package/package.json"]).RootElement;
        versions["npm"] = npm.GetProperty("version").GetString();
        urls["npm"] = npm.GetProperty("repository").GetProperty("url").GetString()?.Replace("git+", "", StringComparison.Ordinal).Replace(".git", "", StringComparison.Ordinal);

        var wheelMetadata = PackagesFixture.ZipText(packages.Package($"bertig_client-{v}-py3-none-any.whl"), $"bertig_client-{v}.dist-info/METADATA");
        versions["wheel"] = PackagesFixture.MetadataField(wheelMetadata, "Version");
        urls["wheel"] = PackagesFixture.MetadataField(wheelMetadata, "Project-URL")?.Replace("Repository, ", "", StringComparison.Ordinal);
        var sdist = PackagesFixture.TarGzFiles(packages.Package($"bertig-client-{v}.tar.gz"));
        versions["sdist"] = PackagesFixture.MetadataField(sdist[$"bertig-client-{v}/PKG-INFO"], "Version");

        Assert.Matches(@"^\d+\.\d+\.\d+", v);
        Assert.All(versions, p => Assert.True(p.Value == v, $"{p.Key} has version {p.Value}, VERSION says {v}"));
        Assert.Single(urls.Values.Distinct());
        Assert.StartsWith("https://", urls["BertIgGrpc.Client"], StringComparison.Ordinal);
    }

    [Fact]
    public void NuGetPackages_HaveReadmeLicenseTagsXmlDocsAndSourceLinkToTheirCommit()
    {
        var v = packages.Version;
        var (_, head) = ExternalSuite.Run(ExternalSuite.RepoRoot, "git rev-parse HEAD", TimeSpan.FromMinutes(1));
        head = head.Trim();
        foreach (var id in new[] { "BertIgGrpc.Contracts", "BertIgGrpc.Client" })
        {
            var nupkg = packages.Package($"{id}.{v}.nupkg");
            var metadata = NuspecMetadata(nupkg, id);
            string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal("MIT", Field("license"));
            Assert.Equal("README.md", Field("readme"));
            Assert.Contains("grpc", Field("tags").Split(' '));
            Assert.False(string.IsNullOrWhiteSpace(Field("description")));
            Assert.Equal(head, (string?)metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("commit"));
            Assert.Contains("BertIgClient", PackagesFixture.ZipText(nupkg, "README.md"), StringComparison.Ordinal);

            var docs = XDocument.Parse(PackagesFixture.ZipText(nupkg, $"lib/net10.0/{id}.xml"));
            Assert.True(docs.Descendants("member").Count() > 10, $"{id}'s XML documentation has almost no members");

            // The portable PDB (in the symbols package) carries the SourceLink map: sources at this commit.
            var pdb = Encoding.UTF8.GetString(PackagesFixture.ZipBytes(packages.Package($"{id}.{v}.snupkg"), $"lib/net10.0/{id}.pdb"));
            Assert.Contains($"https://raw.githubusercontent.com/bertig/BertIgGrpc/{head}/*", pdb, StringComparison.Ordinal);
        }

        var client = NuspecMetadata(packages.Package($"BertIgGrpc.Client.{v}.nupkg"), "BertIgGrpc.Client");
        var contracts = client.Descendants().Single(e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "BertIgGrpc.Contracts");
        Assert.Equal(v, (string?)contracts.Attribute("version"));

        var cli = packages.Package($"BertIgGrpc.Cli.{v}.nupkg");
        Assert.Equal("DotnetTool", (string?)NuspecMetadata(cli, "BertIgGrpc.Cli").Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name"));
        var command = XDocument.Parse(PackagesFixture.ZipText(cli, "tools/net10.0/any/DotnetToolSettings.xml")).Descendants("Command").Single();
        Assert.Equal("bertig", (string?)command.Attribute("Name"));
    }

    [Fact]
    public void NpmPackage_IsEsmWithTypesAndCarriesTheGeneratedCode()
    {
        var files = PackagesFixture.TarGzFiles(packages.Package($"bertig-client-{packages.Version}.tgz"));
        var manifest = JsonDocument.Parse(files["package/package.json"]).RootElement;
        Assert.Equal("module", manifest.GetProperty("type").GetString());
        var root = manifest.GetProperty("exports").GetProperty(".");
        foreach (var target in new[] { root.GetProperty("types").GetString()!, root.GetProperty("default").GetString()! })
        {
            Assert.True(files.ContainsKey("package/" + target.TrimStart('.', '/')), $"exports names {target}, which is not in the tarball");
        }

        foreach (var generated in new[] { "explainer_pb.js", "explainer_pb.d.ts" })
        {
            Assert.Contains($"package/dist/src/gen/bertig/v1/{generated}", files.Keys);
        }

        Assert.DoesNotContain(files.Keys, f => f.StartsWith("package/dist/test/", StringComparison.Ordinal) || f.StartsWith("package/test/", StringComparison.Ordinal));
    }

    [Fact]
    public void PythonWheel_CarriesTheGeneratedCodeAndItsDependencies()
    {
        var wheel = packages.Package($"bertig_client-{packages.Version}-py3-none-any.whl");
        var entries = PackagesFixture.ZipEntries(wheel);
        Assert.Contains("bertig_client/_gen/bertig/v1/explainer_pb2.py", entries);
        Assert.Contains("bertig_client/_gen/bertig/v1/explainer_pb2_grpc.py", entries);
        Assert.Contains("bertig_client/_gen/google/rpc/error_details_pb2.py", entries);
        var metadata = PackagesFixture.ZipText(wheel, $"bertig_client-{packages.Version}.dist-info/METADATA");
        Assert.Contains("Requires-Dist: grpcio", metadata, StringComparison.Ordinal);
        Assert.Contains("Requires-Dist: protobuf", metadata, StringComparison.Ordinal);
        Assert.Contains("License: MIT", metadata, StringComparison.Ordinal);
    }

    [Fact]
    public void CSharpLibrary_AddedFromTheFeedToANewConsoleProject_RunsTheReadmeExample()
    {
        using var work = new IsolatedNuGet(packages.Feed);
        var app = Path.Combine(work.Root, "app");
        Step(work.Root, "dotnet new console -o app", work.Variables);
        Step(app, $"dotnet add package BertIgGrpc.Client --version {packages.Version}", work.Variables);
        Assert.True(File.Exists(Path.Combine(work.Packages, "bertiggrpc.client", packages.Version, "lib", "net10.0", "BertIgGrpc.Client.xml")),
            "BertIgGrpc.Client was not restored from the feed into the project's own packages folder");

        var example = PackagesFixture.ReadmeExample("clients/csharp/README.md", "csharp", "BertIgClient.Create");
        File.WriteAllText(Path.Combine(app, "Program.cs"), example.Replace("http://127.0.0.1:50051", Address, StringComparison.Ordinal));
        var output = Step(app, "dotnet run", work.Variables);
        Assert.Contains("superb", output, StringComparison.Ordinal);
    }

    [Fact]
    public void DotnetTool_InstalledFromTheFeed_ExplainsAgainstTheServer()
    {
        using var work = new IsolatedNuGet(packages.Feed);
        var tools = Path.Combine(work.Root, "tools");
        Step(work.Root, $"dotnet tool install --tool-path '{tools}' --version {packages.Version} BertIgGrpc.Cli", work.Variables);

        var models = Step(work.Root, $"'{tools}/bertig' models --server {Address}", work.Variables);
        Assert.Contains("minilm", models, StringComparison.OrdinalIgnoreCase);
        var json = Step(work.Root, $"'{tools}/bertig' explain 'This movie is superb' --json --server {Address}", work.Variables);
        Assert.Contains("superb", json, StringComparison.Ordinal);
        Assert.Contains("\"attribution\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void NpmPackage_InstalledIntoAnEmptyProject_TypeChecksAndRunsTheReadmeExample()
    {
        var work = Directory.CreateTempSubdirectory("bertig-npm-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(work, "package.json"), """{ "name": "example", "private": true, "type": "module" }""");
            Step(work, $"npm install --no-audit --no-fund --prefer-offline --loglevel=error '{packages.Package($"bertig-client-{packages.Version}.tgz")}'");
            Assert.True(File.Exists(Path.Combine(work, "node_modules", "@bertig", "client", "dist", "src", "gen", "bertig", "v1", "explainer_pb.js")));

            // The declarations resolve through "exports" under strict NodeNext (an untyped module would fail: TS7016).
            File.WriteAllText(Path.Combine(work, "tsconfig.json"),
                """{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "strict": true, "noEmit": true, "types": [], "skipLibCheck": true }, "files": ["check.ts"] }""");
            File.WriteAllText(Path.Combine(work, "check.ts"), """
                import { BertIgClient, ValidationError } from "@bertig/client";
                const client: BertIgClient = new BertIgClient("http://127.0.0.1:1");
                export const isValidation = (e: unknown): boolean => e instanceof ValidationError;
                client.close();
                """);
            var tsc = Path.Combine(ExternalSuite.RepoRoot, "clients", "typescript", "node_modules", "typescript", "bin", "tsc");
            Step(work, $"node '{tsc}' -p .");

            var example = PackagesFixture.ReadmeExample("clients/typescript/README.md", "js", "@bertig/client");
            File.WriteAllText(Path.Combine(work, "example.mjs"), example.Replace("http://127.0.0.1:50051", Address, StringComparison.Ordinal));
            Assert.Contains("superb", Step(work, "node example.mjs"), StringComparison.Ordinal);
        }
        finally
        {
            PackagesFixture.DeleteDirectory(work);
        }
    }

    [Fact]
    public void PythonWheel_InstalledIntoAVenv_RunsTheReadmeExample()
    {
        var work = Directory.CreateTempSubdirectory("bertig-venv-").FullName;
        try
        {
            // As the README says: grpcio and protobuf come from Debian (system site packages) and satisfy the wheel's
            // dependencies; the wheel itself comes from the feed; no index.
            Step(work, "/usr/bin/python3 -m venv --system-site-packages venv");
            Step(work, $"venv/bin/python -m pip install --no-index --disable-pip-version-check '{packages.Package($"bertig_client-{packages.Version}-py3-none-any.whl")}'");
            var where = Step(work, "venv/bin/python -c 'import importlib.metadata as m, bertig_client; print(bertig_client.__file__); print(m.version(\"bertig-client\"))'");
            Assert.Contains(Path.Combine(work, "venv"), where, StringComparison.Ordinal);
            Assert.Contains(packages.Version, where, StringComparison.Ordinal);

            var host = $"{packages.Server.GrpcAddress.Host}:{packages.Server.GrpcAddress.Port}";
            var example = PackagesFixture.ReadmeExample("clients/python/README.md", "python", "bertig_client");
            File.WriteAllText(Path.Combine(work, "example.py"), example.Replace("127.0.0.1:50051", host, StringComparison.Ordinal));
            Assert.Contains("superb", Step(work, "venv/bin/python example.py"), StringComparison.Ordinal);
        }
        finally
        {
            PackagesFixture.DeleteDirectory(work);
        }
    }

    private string Address => packages.Server.GrpcAddress.ToString().TrimEnd('/');

    /// <summary>Runs one bash command of a test; fails with its output (and the server's log) unless it exits 0.</summary>
    private string Step(string directory, string command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (exitCode, output) = ExternalSuite.Run(directory, command, StepTimeout, environment);
        Assert.True(exitCode == 0, packages.Server.Explain($"'{command}' in {directory} exited with {exitCode}:\n{ExternalSuite.Tail(output)}"));
        return output;
    }

    private static XElement NuspecMetadata(string nupkg, string id)
    {
        var nuspec = XDocument.Parse(PackagesFixture.ZipText(nupkg, $"{id}.nuspec"));
        return nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }
}
