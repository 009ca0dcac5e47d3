using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>Writes descriptor sets with the protoc of the Grpc.Tools package, as the Contracts build does.</summary>
internal static class Protoc
{
    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    private static string ToolsRoot => typeof(Protoc).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "GrpcToolsRoot").Value!;

    /// <summary>The directory holding the repository's protos/ (copied next to the tests).</summary>
    public static string ProtosRoot => Path.Combine(AppContext.BaseDirectory, "protos");

    private static string Executable
    {
        get
        {
            var os = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macosx" : "linux";
            var cpu = RuntimeInformation.OSArchitecture switch
            {
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                _ => "x64",
            };
            return Path.Combine(ToolsRoot, "tools", os + "_" + cpu, OperatingSystem.IsWindows() ? "protoc.exe" : "protoc");
        }
    }

    /// <summary>
    /// Compiles <paramref name="protos"/> (paths relative to a fresh root, which also sees protos/ for
    /// buf/validate/validate.proto) into a FileDescriptorSet with imports and source info.
    /// </summary>
    public static byte[] DescriptorSet(bool includeImports, params (string Path, string Text)[] protos)
        => Cache.GetOrAdd(
            includeImports + "\0" + string.Join("\0", protos.Select(p => p.Path + "\0" + p.Text)),
            _ => Compile(includeImports, protos));

    /// <summary>The descriptor set of the real contract, protos/bertig/v1/explainer.proto, as the Contracts build writes it.</summary>
    public static byte[] RealContract()
        => Cache.GetOrAdd("\0real", _ => Compile(true, [("bertig/v1/explainer.proto", string.Empty)], writeFiles: false));

    private static byte[] Compile(bool includeImports, (string Path, string Text)[] protos, bool writeFiles = true)
    {
        var root = Directory.CreateTempSubdirectory("bertig-protoc-");
        try
        {
            var includes = new List<string> { ProtosRoot, Path.Combine(ToolsRoot, "build", "native", "include") };
            if (writeFiles)
            {
                includes.Insert(0, root.FullName);
                foreach (var (path, text) in protos)
                {
                    var file = Path.Combine(root.FullName, path);
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    File.WriteAllText(file, text);
                }
            }

            var output = Path.Combine(root.FullName, "set.protoset");
            var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var include in includes)
            {
                start.ArgumentList.Add("-I" + include);
            }

            if (includeImports)
            {
                start.ArgumentList.Add("--include_imports");
            }

            start.ArgumentList.Add("--include_source_info");
            start.ArgumentList.Add("--descriptor_set_out=" + output);
            foreach (var (path, _) in protos)
            {
                start.ArgumentList.Add(path);
            }

            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("protoc failed: " + errors.Result);
            }

            return File.ReadAllBytes(output);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
