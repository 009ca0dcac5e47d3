using System.Security;

namespace BertIgGrpc.Clients.Tests;

/// <summary>
/// A temporary folder whose NuGet sees only what a user of the packages would: a nuget.config with the local feed (the
/// only source of BertIgGrpc.* packages, by package source mapping) and nuget.org for the rest, and an empty packages
/// folder of its own (NUGET_PACKAGES), so that nothing packed earlier can be picked up from a cache. The machine's
/// global packages folder is a fallback folder, without its BertIgGrpc.* packages, so that the dependencies resolve
/// offline when they are there.
/// </summary>
internal sealed class IsolatedNuGet : IDisposable
{
    public IsolatedNuGet(string feed)
    {
        Root = Directory.CreateTempSubdirectory("bertig-nuget-").FullName;
        Packages = Directory.CreateDirectory(Path.Combine(Root, "packages")).FullName;
        var fallback = Directory.CreateDirectory(Path.Combine(Root, "fallback")).FullName;
        var global = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (Directory.Exists(global))
        {
            foreach (var package in Directory.GetDirectories(global).Where(d => !Path.GetFileName(d).StartsWith("bertiggrpc.", StringComparison.Ordinal)))
            {
                Directory.CreateSymbolicLink(Path.Combine(fallback, Path.GetFileName(package)), package);
            }
        }

        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{SecurityElement.Escape(feed)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="BertIgGrpc.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders>
                <clear />
                <add key="cache" value="{SecurityElement.Escape(fallback)}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        Variables = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Packages,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
    }

    /// <summary>Gets the folder holding nuget.config; run the commands here or below.</summary>
    public string Root { get; }

    /// <summary>Gets the packages folder restores extract into.</summary>
    public string Packages { get; }

    /// <summary>Gets the variables the dotnet commands run with.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    public void Dispose() => PackagesFixture.DeleteDirectory(Root);
}
