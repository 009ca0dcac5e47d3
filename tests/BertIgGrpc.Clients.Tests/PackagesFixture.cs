using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using BertIgGrpc.Client.Tests;

namespace BertIgGrpc.Clients.Tests;

/// <summary>
/// Packs every client once with <c>tools/pack-clients.sh</c> into a temporary folder (the local feed the tests install
/// from) and starts one real server (loopback, ports the system picks) for the installed packages to call. Both go
/// away with the fixture.
/// </summary>
public sealed partial class PackagesFixture : IAsyncLifetime
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(15);

    /// <summary>Gets the folder holding every package (.nupkg, .snupkg, .tgz, .whl, .tar.gz).</summary>
    public string Feed { get; private set; } = null!;

    /// <summary>Gets the one version of every package: the line in the repository's VERSION file.</summary>
    public string Version { get; } = File.ReadAllText(Path.Combine(ExternalSuite.RepoRoot, "VERSION")).Trim();

    /// <summary>Gets the server the installed packages talk to.</summary>
    public RealServer Server { get; } = new();

    /// <summary>Gets what the pack script printed (for failure messages).</summary>
    public string PackOutput { get; private set; } = "";

    /// <summary>The file <paramref name="name"/> of the feed; fails listing the feed when it is missing.</summary>
    public string Package(string name)
    {
        var path = Path.Combine(Feed, name);
        Assert.True(File.Exists(path), $"{name} was not packed; the feed holds: {string.Join(", ", Directory.GetFiles(Feed).Select(Path.GetFileName))}\n{PackOutput}");
        return path;
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        ExternalSuite.RequireDebianPackages("python3-build", "python3-setuptools", "python3-wheel", "python3-venv", "python3-pip",
            "protobuf-compiler", "protobuf-compiler-grpc", "libprotobuf-dev", "python3-grpcio", "python3-protobuf");
        ExternalSuite.RequireNpmInstall("clients/typescript");
        Feed = Directory.CreateTempSubdirectory("bertig-feed-").FullName;
        var (exitCode, output) = ExternalSuite.Run(ExternalSuite.RepoRoot, $"tools/pack-clients.sh '{Feed}'", PackTimeout);
        PackOutput = output;
        Assert.True(exitCode == 0, $"tools/pack-clients.sh exited with {exitCode}:\n{ExternalSuite.Tail(output)}");
        await Server.InitializeAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        DeleteDirectory(Feed);
    }

    /// <summary>Removes a temporary folder; a leftover is harmless and must not fail the run.</summary>
    public static void DeleteDirectory(string? path)
    {
        try
        {
            if (path is not null && Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The text of <paramref name="entry"/> in a zip archive (.nupkg, .snupkg, .whl).</summary>
    public static string ZipText(string archive, string entry)
    {
        using var zip = ZipFile.OpenRead(archive);
        var found = zip.GetEntry(entry) ?? throw new InvalidOperationException(
            $"{Path.GetFileName(archive)} has no {entry}; it holds: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
        using var reader = new StreamReader(found.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The bytes of <paramref name="entry"/> in a zip archive.</summary>
    public static byte[] ZipBytes(string archive, string entry)
    {
        using var zip = ZipFile.OpenRead(archive);
        using var stream = zip.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The entry names of a zip archive.</summary>
    public static IReadOnlyList<string> ZipEntries(string archive)
    {
        using var zip = ZipFile.OpenRead(archive);
        return zip.Entries.Select(e => e.FullName).ToList();
    }

    /// <summary>The regular files of a .tar.gz / .tgz archive, name to text.</summary>
    public static IReadOnlyDictionary<string, string> TarGzFiles(string archive)
    {
        var files = new Dictionary<string, string>();
        using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is not null)
            {
                using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
                files[entry.Name] = reader.ReadToEnd();
            }
        }

        return files;
    }

    /// <summary>The value of the first <c>Key: value</c> line (Python core metadata: PKG-INFO, METADATA).</summary>
    public static string? MetadataField(string metadata, string key)
        => metadata.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(key + ": ", StringComparison.Ordinal))?[(key.Length + 2)..];

    /// <summary>
    /// The first fenced block of <paramref name="language"/> in <paramref name="readme"/> (relative to the repository)
    /// that contains <paramref name="marker"/>: the example a reader copies.
    /// </summary>
    public static string ReadmeExample(string readme, string language, string marker)
    {
        var text = File.ReadAllText(Path.Combine(ExternalSuite.RepoRoot, readme)).Replace("\r\n", "\n", StringComparison.Ordinal);
        var block = FencedBlock().Matches(text).Where(m => m.Groups["lang"].Value == language).Select(m => m.Groups["body"].Value)
            .FirstOrDefault(b => b.Contains(marker, StringComparison.Ordinal));
        Assert.True(block is not null, $"{readme} has no ```{language} block containing '{marker}'");
        return block!;
    }

    [GeneratedRegex(@"^```(?<lang>\w+)\n(?<body>.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();
}

/// <summary>Tests that share one <see cref="PackagesFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<PackagesFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "packed clients";
}
