namespace BertIgGrpc.Deployment.Tests;

/// <summary>Paths inside the repository and the server's build output, found from this test assembly's location.</summary>
internal static class Repo
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>Gets the repository root (the folder holding BertIgGrpc.sln).</summary>
    public static string Root => RootPath.Value;

    /// <summary>Returns the full path of a repository file or folder.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>
    /// Gets the server assembly built next to this project (same configuration; the test project references the server
    /// with ReferenceOutputAssembly=false so that it is built first). BERTIG_SERVER_DLL overrides it.
    /// </summary>
    public static string ServerAssembly
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("BERTIG_SERVER_DLL");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                return File.Exists(fromEnv) ? fromEnv : throw new FileNotFoundException($"BERTIG_SERVER_DLL points to a missing file: {fromEnv}");
            }

            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var dll = Path.Combine(Root, "src", "BertIgGrpc.Server", "bin", here.Parent!.Name, here.Name, "BertIgGrpc.Server.dll");
            return File.Exists(dll)
                ? dll
                : throw new FileNotFoundException($"The server is not built: {dll}. Run `dotnet build src/BertIgGrpc.Server`.");
        }
    }

    /// <summary>Gets the dotnet host running the tests (so that replicas use the same runtime).</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    /// <summary>Returns the full path of a program on PATH, or null.</summary>
    public static string? FindOnPath(string name, params string[] extraDirectories)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraDirectories);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BertIgGrpc.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Cannot find BertIgGrpc.sln above {AppContext.BaseDirectory}.");
    }
}
